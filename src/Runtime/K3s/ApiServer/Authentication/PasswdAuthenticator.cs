using System.Security.Cryptography;
using System.Text;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.ApiServer.Authentication;

/// <summary>
/// Authenticates supervisor requests that carry a join token's credentials as HTTP Basic auth
/// (<c>node:&lt;password&gt;</c> or <c>server:&lt;password&gt;</c>) against <c>server/cred/passwd</c>. The user's group
/// is its role: <c>k3s:agent</c> or <c>k3s:server</c>. The file is read per request, so a rotated token applies at once.
/// </summary>
internal sealed class PasswdAuthenticator(string passwdPath)
{
    public UserInfo? Authenticate(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return null;
        }

        var (user, password) = (decoded[..colon], Encoding.UTF8.GetBytes(decoded[(colon + 1)..]));
        foreach (var entry in PasswdFile.Read(passwdPath))
        {
            if (entry.User == user && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(entry.Password), password))
            {
                return new UserInfo(user, [entry.Group, "system:authenticated"]);
            }
        }

        return null;
    }
}
