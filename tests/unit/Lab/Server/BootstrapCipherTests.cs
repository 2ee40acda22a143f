using System.Text;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.Lab.Tests.Server;

[Trait("Category", "Unit")]
public sealed class BootstrapCipherTests
{
    private const string Plain = """{"ServerCA":{"Timestamp":"2025-01-01T00:00:00Z","Content":"Y2E="}}""";

    // Made independently (Python: hashlib.pbkdf2_hmac sha1 4096 rounds + cryptography's AESGCM) the way k3s's
    // pkg/cluster/encrypt.go does it, so data written by real k3s servers reads here and the other way round.
    private const string FromK3sAlgorithm = "0011223344556677:AAECAwQFBgcICQoLVt4G8lJYpf72M35s3J+9+arfVy5unzD77I60X9UxLxkehAU+RnCdMVN5AVzKnUB8DjVQ5FGgyGQ4icjnFKtDFWD2qvEtlUg/BhlES16zWR0o1A==";

    [Fact]
    public void StorageKey_IsTheFirst12HexDigitsOfTheTokensSha256()
    {
        BootstrapCipher.StorageKey("secret-token").Should().Be("/bootstrap/930bbdc51b6a");
    }

    [Fact]
    public void Encrypt_WithAGivenSaltAndNonce_MatchesK3sByteForByte_AndDecryptReadsIt()
    {
        var sealedText = Encoding.UTF8.GetString(BootstrapCipher.Encrypt("secret-token", Encoding.UTF8.GetBytes(Plain), "0011223344556677", [.. Enumerable.Range(0, 12).Select(i => (byte)i)]));

        sealedText.Should().Be(FromK3sAlgorithm);
        Encoding.UTF8.GetString(BootstrapCipher.Decrypt("secret-token", Encoding.UTF8.GetBytes(FromK3sAlgorithm))).Should().Be(Plain);
    }

    [Fact]
    public void Encrypt_Twice_UsesFreshSaltAndNonce_AndBothDecrypt()
    {
        var one = BootstrapCipher.Encrypt("t", Encoding.UTF8.GetBytes(Plain));
        var two = BootstrapCipher.Encrypt("t", Encoding.UTF8.GetBytes(Plain));

        one.Should().NotEqual(two);
        Encoding.UTF8.GetString(one).Should().MatchRegex("^[0-9a-f]{16}:");
        Encoding.UTF8.GetString(BootstrapCipher.Decrypt("t", two)).Should().Be(Plain);
    }

    [Theory]
    [InlineData("other-token", FromK3sAlgorithm, "*cannot be decrypted with this token*")]
    [InlineData("secret-token", "no colon here", "*not : delimited*")]
    [InlineData("secret-token", "0011:@@@", "*not base64*")]
    [InlineData("secret-token", "0011:AAEC", "*too short*")]
    public void Decrypt_WrongTokenOrDamagedValue_IsRefusedInOneSentence(string passphrase, string stored, string message)
    {
        var decrypt = () => BootstrapCipher.Decrypt(passphrase, Encoding.UTF8.GetBytes(stored));

        decrypt.Should().Throw<BootstrapException>().WithMessage(message);
    }

    [Fact]
    public void Choose_LoadsItsOwnKey_SavesWhenNone_AndRefusesAnotherTokensData()
    {
        BootstrapCipher.Choose([], "secret-token").Should().Be(BootstrapChoice.Save);
        BootstrapCipher.Choose(["/bootstrap/930bbdc51b6a"], "secret-token").Should().Be(BootstrapChoice.Load);
        BootstrapCipher.Choose(["/bootstrap/000000000000", "/bootstrap/930bbdc51b6a"], "secret-token").Should().Be(BootstrapChoice.Load);
        BootstrapCipher.Choose(["/bootstrap/000000000000"], "secret-token").Should().Be(BootstrapChoice.WrongToken);
    }
}
