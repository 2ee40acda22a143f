using System.Text;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>scrypt against RFC 7914's test vectors, and k3s's node-password hash format.</summary>
[Trait("Category", "Unit")]
public sealed class ScryptTests
{
    [Theory]
    [InlineData("", "", 16, 1, 1, "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")]
    [InlineData("password", "NaCl", 1024, 8, 16, "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")]
    public void DeriveKey_MatchesRfc7914Vectors(string password, string salt, int n, int r, int p, string expected) =>
        Convert.ToHexStringLower(Scrypt.DeriveKey(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(salt), n, r, p, 64)).Should().Be(expected);

    [Fact]
    public void NodePasswordHash_HasK3sLayout_AndVerifiesOnlyItsPassword()
    {
        var hash = NodePasswordHash.Create("0123456789abcdef0123456789abcdef");
        hash.Should().MatchRegex("^\\$1:[0-9a-f]{16}:15:8:1:[A-Za-z0-9+/]{86}$");
        NodePasswordHash.Verify("0123456789abcdef0123456789abcdef", hash).Should().BeTrue();
        NodePasswordHash.Verify("0123456789abcdef0123456789abcdee", hash).Should().BeFalse();
        NodePasswordHash.Verify("x", "$1:zz:15:8:1:abc").Should().BeFalse();
        NodePasswordHash.Verify("x", "not a hash").Should().BeFalse();
    }
}
