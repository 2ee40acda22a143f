using System.Text;
using K3sLab.K3s.ApiServer.Kubelets;
using K3sLab.K3s.Kubelet.Streaming;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>
/// The pieces of the exec/attach/port-forward relay that parse by hand: the kubelet's response head to an upgrade,
/// a chunked error body, and the WebSocket accept key of the kubelet's own handshake.
/// </summary>
[Trait("Category", "Unit")]
public sealed class KubeletUpgradeTests
{
    [Fact]
    public void ResponseHead_SwitchingProtocols_KeepsHeadersAndTheBytesAfterIt()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n"), 0x80, 0x03];
        var head = UpgradeResponseHead.TryParse(bytes)!;
        head.Status.Should().Be(101);
        head["x-stream-protocol-version"].Should().Be("v4.channel.k8s.io");
        head.Rest.Should().Equal(0x80, 0x03);
    }

    [Fact]
    public void ResponseHead_Incomplete_IsNull() =>
        UpgradeResponseHead.TryParse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n"u8).Should().BeNull();

    [Fact]
    public void ResponseHead_NotHttp_Throws()
    {
        var act = () => UpgradeResponseHead.TryParse("SSH-2.0-OpenSSH\r\n\r\n"u8);
        act.Should().Throw<FormatException>();
    }

    [Fact]
    public void Dechunk_CompleteBody_JoinsChunks_IncompleteIsNull()
    {
        KubeletUpgrade.Dechunk(Encoding.ASCII.GetBytes("5\r\nhello\r\n1;x=y\r\n!\r\n0\r\n\r\n")).Should().Equal(Encoding.ASCII.GetBytes("hello!"));
        KubeletUpgrade.Dechunk(Encoding.ASCII.GetBytes("5\r\nhel")).Should().BeNull();
        KubeletUpgrade.Dechunk(Encoding.ASCII.GetBytes("5\r\nhello\r\n")).Should().BeNull();
    }

    [Fact]
    public void WebSocketAcceptKey_IsTheRfc6455Example() =>
        WebSocketHandshake.AcceptKey("dGhlIHNhbXBsZSBub25jZQ==").Should().Be("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
