using System.Text;
using K3sLab.K3s.Etcd.Http2;

namespace K3sLab.Lab.Tests.Etcd.Http2;

[Trait("Category", "Unit")]
public sealed class AuthorityTests
{
    [Theory]
    [InlineData("http://127.0.0.1:2379", "127.0.0.1:2379")]
    [InlineData("https://127.0.0.1:2379", "127.0.0.1:2379")]
    [InlineData("HTTPS://node-1.example:2379/", "node-1.example:2379")]
    [InlineData("http://[::1]:2379/v3/path?q#f", "[::1]:2379")]
    [InlineData("127.0.0.1:2379", "127.0.0.1:2379")]
    [InlineData("localhost", "localhost")]
    [InlineData("127.0.0.1:2379/path", "127.0.0.1:2379")]
    [InlineData("", "")]
    [InlineData("1http://host", "1http:")] // not a scheme: only the path goes
    public void Normalize_Value_StripsSchemeAndPath(string value, string expected)
    {
        Encoding.ASCII.GetString(Authority.Normalize(Encoding.ASCII.GetBytes(value))).Should().Be(expected);
    }
}
