using K3sLab.K3s.Tunnel;

namespace K3sLab.Lab.Tests.Tunnel;

[Trait("Category", "Unit")]
public sealed class TunnelFrameTests
{
    [Fact]
    public void Encode_ThenDecode_GivesTheSameFrame()
    {
        foreach (var frame in new[]
        {
            TunnelFrame.Open(1, "kubelet"),
            TunnelFrame.Accept(3),
            TunnelFrame.Data(5, new byte[] { 1, 2, 3 }),
            TunnelFrame.Window(7, 131072),
            TunnelFrame.Close(9),
            TunnelFrame.Reset(uint.MaxValue, "connection refused"),
        })
        {
            TunnelFrame.TryDecode(frame.Encode(), out var decoded, out var error).Should().BeTrue(error);
            decoded.Type.Should().Be(frame.Type);
            decoded.StreamId.Should().Be(frame.StreamId);
            decoded.Payload.ToArray().Should().Equal(frame.Payload.ToArray());
        }
    }

    [Fact]
    public void Encode_PutsTypeThenBigEndianIdThenPayload()
    {
        TunnelFrame.Open(0x01020304, "k").Encode().Should().Equal(1, 1, 2, 3, 4, (byte)'k');
        TunnelFrame.Window(1, 256).Credit.Should().Be(256);
        TunnelFrame.Reset(1, "why").PayloadText.Should().Be("why");
    }

    [Theory]
    [InlineData(new byte[] { 3, 0, 0, 0 }, "5 to")]
    [InlineData(new byte[] { 9, 0, 0, 0, 1 }, "unknown tunnel frame type 9")]
    [InlineData(new byte[] { 0, 0, 0, 0, 1 }, "unknown tunnel frame type 0")]
    [InlineData(new byte[] { 3, 0, 0, 0, 1 }, "empty data frame")]
    [InlineData(new byte[] { 4, 0, 0, 0, 1, 0, 0 }, "4-byte credit")]
    public void TryDecode_Malformed_SaysWhy(byte[] message, string reason)
    {
        TunnelFrame.TryDecode(message, out _, out var error).Should().BeFalse();
        error.Should().Contain(reason);
    }

    [Fact]
    public void TryDecode_OversizedData_IsRefused()
    {
        var message = new byte[TunnelFrame.MaxFrame + 1];
        message[0] = (byte)TunnelFrameType.Data;
        TunnelFrame.TryDecode(message, out _, out var error).Should().BeFalse();
        error.Should().Contain("bytes");
    }

    [Fact]
    public void Reset_LongReason_IsCutToTheTextLimit()
    {
        TunnelFrame.Reset(1, new string('x', 5000)).Payload.Length.Should().Be(TunnelFrame.MaxText);
    }
}
