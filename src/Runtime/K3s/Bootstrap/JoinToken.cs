using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace K3sLab.K3s.Bootstrap;

/// <summary>
/// A k3s join token. The secure form is <c>K10&lt;sha256 of the cluster CA&gt;::&lt;user&gt;:&lt;password&gt;</c> (or
/// <c>K10&lt;hash&gt;::&lt;id&gt;.&lt;secret&gt;</c> for a bootstrap token); the short form is the password alone, which
/// trusts whatever CA the server presents. Servers join as user <c>server</c>, agents as <c>node</c>.
/// </summary>
/// <param name="CaHash">Lower-case hex SHA-256 of the cluster CA bundle, or empty for a short token.</param>
/// <param name="Username">The user the password belongs to; empty for a short token or a bootstrap token.</param>
/// <param name="Password">The shared secret (or the whole <c>id.secret</c> bootstrap token).</param>
internal sealed partial record JoinToken(string CaHash, string Username, string Password)
{
    private const string Prefix = "K10";
    private const int HashLength = 64;

    /// <summary>True for the secure form, whose CA hash lets a client verify the server before trusting it.</summary>
    public bool IsSecure => CaHash.Length > 0;

    /// <summary>True when the credential is a kubeadm-style bootstrap token (<c>[a-z0-9]{6}.[a-z0-9]{16}</c>).</summary>
    public bool IsBootstrapToken => BootstrapToken().IsMatch(Password);

    /// <summary>Parses a token as k3s does; a token without the <c>K10</c> prefix is the short form.</summary>
    /// <exception cref="FormatException">The token is empty or malformed; the message is k3s's.</exception>
    public static JoinToken Parse(string token)
    {
        token = token.Trim();
        if (token.Length == 0)
        {
            throw new FormatException("token must not be empty");
        }

        if (!token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return new JoinToken(string.Empty, string.Empty, token);
        }

        var separator = token.IndexOf("::", StringComparison.Ordinal);
        if (separator < 0)
        {
            throw new FormatException("invalid token format");
        }

        var hash = token[Prefix.Length..separator];
        var credentials = token[(separator + 2)..];
        if (hash.Length != 0 && hash.Length != HashLength)
        {
            throw new FormatException("invalid token CA hash length");
        }

        if (hash.Length == HashLength && !LowerHex().IsMatch(hash))
        {
            throw new FormatException("invalid token CA hash");
        }

        if (credentials.Length == 0)
        {
            throw new FormatException("invalid token format");
        }

        if (BootstrapToken().IsMatch(credentials))
        {
            return new JoinToken(hash, string.Empty, credentials);
        }

        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        return colon < 0
            ? new JoinToken(hash, string.Empty, credentials)
            : new JoinToken(hash, credentials[..colon], credentials[(colon + 1)..]);
    }

    /// <summary>The secure token for a CA bundle, user and password.</summary>
    public static JoinToken Secure(byte[] caBundle, string username, string password) => new(CaHashOf(caBundle), username, password);

    /// <summary>
    /// The CA hash k3s puts in tokens: SHA-256 of the bytes of the CA file served at <c>/cacerts</c> (the PEM as
    /// stored on disk). Bundles of several certificates hash their root instead; we issue single-certificate CAs.
    /// </summary>
    public static string CaHashOf(byte[] caBundle) => Convert.ToHexStringLower(SHA256.HashData(caBundle));

    /// <summary>A new random password: 16 random bytes in hex, as k3s generates.</summary>
    public static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Whether <paramref name="caBundle"/> is the CA this token names; short tokens match anything.</summary>
    public bool Trusts(byte[] caBundle) => !IsSecure || CryptographicOperations.FixedTimeEquals(
        System.Text.Encoding.ASCII.GetBytes(CaHash), System.Text.Encoding.ASCII.GetBytes(CaHashOf(caBundle)));

    /// <summary>The token in k3s's text form.</summary>
    public override string ToString() => IsSecure || Username.Length > 0
        ? $"{Prefix}{CaHash}::{(Username.Length > 0 ? Username + ":" : string.Empty)}{Password}"
        : Password;

    [GeneratedRegex("^[a-z0-9]{6}\\.[a-z0-9]{16}$")]
    private static partial Regex BootstrapToken();

    [GeneratedRegex("^[0-9a-f]+$")]
    private static partial Regex LowerHex();
}
