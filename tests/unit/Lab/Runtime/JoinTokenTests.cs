using K3sLab.K3s.Bootstrap;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class JoinTokenTests
{
    private const string Hash = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b";

    [Fact]
    public void Parse_SecureToken_SplitsHashUserAndPassword()
    {
        var token = JoinToken.Parse($"K10{Hash}::server:5f9a1c2e");

        token.Should().Be(new JoinToken(Hash, "server", "5f9a1c2e"));
        token.IsSecure.Should().BeTrue();
        token.ToString().Should().Be($"K10{Hash}::server:5f9a1c2e");
    }

    [Fact]
    public void Parse_ShortToken_IsPasswordOnlyAndTrustsAnyCa()
    {
        var token = JoinToken.Parse("  my-shared-secret\n");

        token.Should().Be(new JoinToken(string.Empty, string.Empty, "my-shared-secret"));
        token.IsSecure.Should().BeFalse();
        token.Trusts("any CA at all"u8.ToArray()).Should().BeTrue();
        token.ToString().Should().Be("my-shared-secret");
    }

    [Fact]
    public void Parse_BootstrapToken_KeepsIdAndSecretTogether()
    {
        var token = JoinToken.Parse($"K10{Hash}::abcdef.0123456789abcdef");

        token.Username.Should().BeEmpty();
        token.Password.Should().Be("abcdef.0123456789abcdef");
        token.IsBootstrapToken.Should().BeTrue();
    }

    [Theory]
    [InlineData("K10abc::server:pw", "invalid token CA hash length")]
    [InlineData("K10" + "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b" + "server:pw", "invalid token format")]
    [InlineData("K10" + "6B86B273FF34FCE19D6B804EFF5A3F5747ADA4EAA22F1D49C01E52DDB7875B4B" + "::server:pw", "invalid token CA hash")]
    [InlineData("K10" + "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b" + "::", "invalid token format")]
    [InlineData("   ", "token must not be empty")]
    public void Parse_MalformedToken_ThrowsK3sMessage(string text, string message)
    {
        var parse = () => JoinToken.Parse(text);

        parse.Should().Throw<FormatException>().WithMessage(message);
    }

    [Fact]
    public void Trusts_MatchesOnlyTheHashedCaBundle()
    {
        var ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"u8.ToArray();
        var token = JoinToken.Secure(ca, "node", JoinToken.NewPassword());

        token.Trusts(ca).Should().BeTrue();
        token.Trusts([.. ca, (byte)'\n']).Should().BeFalse();
        JoinToken.Parse(token.ToString()).Should().Be(token);
        token.Password.Should().MatchRegex("^[0-9a-f]{32}$");
    }
}
