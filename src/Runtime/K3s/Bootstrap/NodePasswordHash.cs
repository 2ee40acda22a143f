using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace K3sLab.K3s.Bootstrap;

/// <summary>
/// k3s's node-password hash, kept in the <c>hash</c> field of secret <c>kube-system/&lt;node&gt;.node-password.k3s</c>:
/// <c>$1:&lt;hex salt&gt;:&lt;log2 N&gt;:&lt;r&gt;:&lt;p&gt;:&lt;base64 key&gt;</c>, scrypt with an 8-byte salt, N = 2^15, r = 8, p = 1
/// and a 64-byte key (base64 without padding).
/// </summary>
internal static class NodePasswordHash
{
    private const int LogCost = 15;
    private const int BlockSize = 8;
    private const int Parallelism = 1;
    private const int KeyLength = 64;

    public static string Create(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(8);
        var key = Scrypt.DeriveKey(Encoding.UTF8.GetBytes(password), salt, 1 << LogCost, BlockSize, Parallelism, KeyLength);
        return string.Create(CultureInfo.InvariantCulture, $"$1:{Convert.ToHexStringLower(salt)}:{LogCost}:{BlockSize}:{Parallelism}:{Convert.ToBase64String(key).TrimEnd('=')}");
    }

    /// <summary>Whether <paramref name="password"/> matches <paramref name="hash"/>; a malformed hash matches nothing.</summary>
    public static bool Verify(string password, string hash)
    {
        var parts = hash.Split(':');
        if (parts.Length != 6 || parts[0] != "$1"
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var logCost) || logCost is < 1 or > 20
            || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var r) || r is < 1 or > 32
            || !int.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 16)
        {
            return false;
        }

        byte[] salt, expected;
        try
        {
            salt = Convert.FromHexString(parts[1]);
            var encoded = parts[5];
            expected = Convert.FromBase64String(encoded.PadRight(encoded.Length + ((4 - (encoded.Length % 4)) % 4), '='));
        }
        catch (FormatException)
        {
            return false;
        }

        var actual = Scrypt.DeriveKey(Encoding.UTF8.GetBytes(password), salt, 1 << logCost, r, p, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
