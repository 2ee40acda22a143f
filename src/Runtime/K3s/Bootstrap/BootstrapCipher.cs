using System.Security.Cryptography;
using System.Text;

namespace K3sLab.K3s.Bootstrap;

/// <summary>
/// How k3s keeps a cluster's bootstrap data in a shared datastore, encrypted with the join token: the key is
/// <c>/bootstrap/</c> plus the first 12 hex digits of SHA-256 of the token's password; the value is
/// <c>&lt;salt&gt;:&lt;base64(nonce ‖ ciphertext ‖ tag)&gt;</c>, AES-256-GCM under a PBKDF2-HMAC-SHA1 key (4,096
/// rounds) derived from the password and the salt, the salt being 16 random hex digits used as text. Servers of
/// real k3s and of this runtime can therefore read each other's data. Pure: randomness comes in as arguments.
/// </summary>
internal static class BootstrapCipher
{
    /// <summary>The prefix every bootstrap key has.</summary>
    public const string Prefix = "/bootstrap/";

    private const int Rounds = 4096;
    private const int KeyBytes = 32;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    /// <summary>The key the data for <paramref name="passphrase"/> is stored under.</summary>
    public static string StorageKey(string passphrase) =>
        Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(passphrase)))[..12];

    /// <summary>Encrypts with a fresh random salt and nonce.</summary>
    public static byte[] Encrypt(string passphrase, byte[] plaintext) =>
        Encrypt(passphrase, plaintext, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), RandomNumberGenerator.GetBytes(NonceBytes));

    /// <summary>Encrypts with the given salt (text) and 12-byte nonce.</summary>
    public static byte[] Encrypt(string passphrase, byte[] plaintext, string salt, byte[] nonce)
    {
        using var aes = new AesGcm(Key(passphrase, salt), TagBytes);
        var sealedData = new byte[NonceBytes + plaintext.Length + TagBytes];
        nonce.CopyTo(sealedData, 0);
        aes.Encrypt(nonce, plaintext, sealedData.AsSpan(NonceBytes, plaintext.Length), sealedData.AsSpan(NonceBytes + plaintext.Length));
        return Encoding.UTF8.GetBytes(salt + ":" + Convert.ToBase64String(sealedData));
    }

    /// <summary>Decrypts what <see cref="Encrypt(string, byte[])"/> (or k3s) stored.</summary>
    /// <exception cref="BootstrapException">The value is not bootstrap data, or the passphrase is not the one it was stored with.</exception>
    public static byte[] Decrypt(string passphrase, byte[] stored)
    {
        var text = Encoding.UTF8.GetString(stored);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            throw new BootstrapException("the bootstrap data in the datastore is not valid: invalid cipher text, not : delimited");
        }

        byte[] sealedData;
        try
        {
            sealedData = Convert.FromBase64String(text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            throw new BootstrapException("the bootstrap data in the datastore is not valid: its cipher text is not base64");
        }

        if (sealedData.Length < NonceBytes + TagBytes)
        {
            throw new BootstrapException("the bootstrap data in the datastore is not valid: its cipher text is too short");
        }

        using var aes = new AesGcm(Key(passphrase, text[..colon]), TagBytes);
        var plaintext = new byte[sealedData.Length - NonceBytes - TagBytes];
        try
        {
            aes.Decrypt(sealedData.AsSpan(0, NonceBytes), sealedData.AsSpan(NonceBytes, plaintext.Length), sealedData.AsSpan(sealedData.Length - TagBytes), plaintext);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new BootstrapException("the bootstrap data in the datastore cannot be decrypted with this token: start with the token of the server that created the cluster");
        }

        return plaintext;
    }

    /// <summary>
    /// What a starting server does with the bootstrap keys it found: use the one for its token, store its own when
    /// there are none, or stop when the data belongs to another token (k3s's "encrypted with different token").
    /// </summary>
    public static BootstrapChoice Choose(IReadOnlyCollection<string> keys, string passphrase)
    {
        var mine = StorageKey(passphrase);
        return keys.Count == 0 ? BootstrapChoice.Save
            : keys.Contains(mine, StringComparer.Ordinal) ? BootstrapChoice.Load
            : BootstrapChoice.WrongToken;
    }

    private static byte[] Key(string passphrase, string salt) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), Encoding.UTF8.GetBytes(salt), Rounds, HashAlgorithmName.SHA1, KeyBytes);
}

/// <summary>What <see cref="BootstrapCipher.Choose"/> decided.</summary>
internal enum BootstrapChoice
{
    /// <summary>Read the data stored for this token into the data dir.</summary>
    Load,

    /// <summary>Nothing is stored: bootstrap locally, then store the result.</summary>
    Save,

    /// <summary>Data is stored for another token: refuse to start.</summary>
    WrongToken,
}
