using System.Text;
using K3sLab.K3s.Kubelet.Logs;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class ContainerLogCopierTests
{
    private const string File3 =
        "2026-12-01T06:34:58.918395700Z stdout F hello\n"
        + "2026-12-01T06:34:59.000000000Z stderr F oops\n"
        + "2026-12-01T06:35:00.100000000Z stdout F world\n";

    private static readonly DateTimeOffset Now = new(2026, 12, 1, 6, 35, 10, TimeSpan.Zero);

    [Fact]
    public async Task CopyAsync_Defaults_MessagesOnlyInOrder() =>
        (await CopyAsync(File3, new ContainerLogOptions())).Should().Be("hello\noops\nworld\n");

    [Fact]
    public async Task CopyAsync_Timestamps_PrefixGosRfc3339Nano() =>
        (await CopyAsync(File3, new ContainerLogOptions { Timestamps = true })).Should().Be(
            "2026-12-01T06:34:58.9183957Z hello\n2026-12-01T06:34:59Z oops\n2026-12-01T06:35:00.1Z world\n");

    [Theory]
    [InlineData(0, "")]
    [InlineData(1, "world\n")]
    [InlineData(2, "oops\nworld\n")]
    [InlineData(3, "hello\noops\nworld\n")]
    [InlineData(10, "hello\noops\nworld\n")]
    public async Task CopyAsync_TailLines_LastLinesOnly(long tail, string expected) =>
        (await CopyAsync(File3, new ContainerLogOptions { TailLines = tail })).Should().Be(expected);

    [Fact]
    public async Task CopyAsync_TailOfAFileWithoutItsLastNewline_CountsTheUnfinishedLine() =>
        (await CopyAsync(File3 + "2026-12-01T06:35:01Z stdout P part", new ContainerLogOptions { TailLines = 2 })).Should().Be("world\npart");

    [Fact]
    public async Task TailStartAsync_LongFile_FindsTheOffsetAcrossBlocks()
    {
        var line = "2026-12-01T06:34:58.918395700Z stdout F " + new string('x', 1000) + "\n";
        var text = string.Concat(Enumerable.Repeat(line, 300));
        using var file = new MemoryStream(Encoding.UTF8.GetBytes(text));
        (await ContainerLogCopier.TailStartAsync(file, 200, CancellationToken.None)).Should().Be(100L * line.Length);
    }

    [Fact]
    public async Task CopyAsync_SinceTime_SkipsEarlierLines() =>
        (await CopyAsync(File3, new ContainerLogOptions { SinceTime = new DateTimeOffset(2026, 12, 1, 6, 34, 59, TimeSpan.Zero) })).Should().Be("oops\nworld\n");

    [Fact]
    public async Task CopyAsync_SinceSeconds_CountsBackFromNow() =>
        (await CopyAsync(File3, new ContainerLogOptions { SinceSeconds = 10 })).Should().Be("world\n");

    [Fact]
    public async Task CopyAsync_LimitBytes_CutsTheLastLine() =>
        (await CopyAsync(File3, new ContainerLogOptions { LimitBytes = 8 })).Should().Be("hello\noo");

    [Fact]
    public async Task CopyAsync_MalformedLines_AreSkipped() =>
        (await CopyAsync("not a cri line\n" + File3 + "\n", new ContainerLogOptions())).Should().Be("hello\noops\nworld\n");

    [Fact]
    public async Task CopyAsync_PartialLines_JoinWithoutNewline() =>
        (await CopyAsync("2026-12-01T06:34:58Z stdout P abc\n2026-12-01T06:34:58Z stdout F def\n", new ContainerLogOptions())).Should().Be("abcdef\n");

    [Fact]
    public async Task CopyAsync_Follow_ReadsWhatTheRunWritesUntilItEnds()
    {
        var file = new MemoryStream();
        file.Write(Encoding.UTF8.GetBytes("2026-12-01T06:34:58Z stdout F first\n"));
        var checks = 0;
        bool Live()
        {
            // The run writes one more line (in two pieces, the second after the first check) and then exits.
            checks++;
            var end = file.Length;
            if (checks == 1)
            {
                file.Seek(0, SeekOrigin.End);
                file.Write(Encoding.UTF8.GetBytes("2026-12-01T06:34:59Z stdout F sec"));
                file.Position = end;
                return true;
            }

            file.Seek(0, SeekOrigin.End);
            file.Write(Encoding.UTF8.GetBytes("ond\n"));
            file.Position = end;
            return false;
        }

        using var output = new MemoryStream();
        await ContainerLogCopier.CopyAsync(file, output, new ContainerLogOptions { Follow = true }, Live, TimeProvider.System, TestContext.Current.CancellationToken);
        Encoding.UTF8.GetString(output.ToArray()).Should().Be("first\nsecond\n");
        checks.Should().Be(2);
    }

    [Fact]
    public void CriLogLine_TryParse_ReadsTheFields()
    {
        CriLogLine.TryParse(Encoding.UTF8.GetBytes("2026-12-01T06:34:58.918395700Z stderr P a b c"), out var line).Should().BeTrue();
        line.Time.Should().Be(new DateTimeOffset(2026, 12, 1, 6, 34, 58, TimeSpan.Zero).AddTicks(9183957));
        line.Partial.Should().BeTrue();
        Encoding.UTF8.GetString(line.Message.Span).Should().Be("a b c");
        CriLogLine.TryParse(Encoding.UTF8.GetBytes("2026-12-01T06:34:58Z stdout F"), out var empty).Should().BeTrue();
        empty.Message.Length.Should().Be(0);
        CriLogLine.TryParse(Encoding.UTF8.GetBytes("yesterday stdout F x"), out _).Should().BeFalse();
    }

    [Fact]
    public void ContainerLogOptions_Parse_ReadsTheKubeletParameters()
    {
        var query = new Dictionary<string, string> { ["follow"] = "true", ["tail"] = "5", ["timestamps"] = "1", ["sinceTime"] = "2026-12-01T06:34:58Z", ["limitBytes"] = "100" };
        var options = ContainerLogOptions.Parse(k => query.GetValueOrDefault(k), out var status, out _)!;
        status.Should().Be(200);
        options.Follow.Should().BeTrue();
        options.Timestamps.Should().BeTrue();
        options.TailLines.Should().Be(5);
        options.LimitBytes.Should().Be(100);
        options.SinceTime.Should().Be(new DateTimeOffset(2026, 12, 1, 6, 34, 58, TimeSpan.Zero));
        ContainerLogOptions.Parse(k => k == "tail" ? "all" : null, out _, out _)!.TailLines.Should().BeNull();
    }

    [Theory]
    [InlineData("tailLines", "x", 400, "Unable to decode query.")]
    [InlineData("follow", "maybe", 400, "Unable to decode query.")]
    [InlineData("tailLines", "-1", 422, "Invalid request.")]
    [InlineData("limitBytes", "0", 422, "Invalid request.")]
    [InlineData("sinceSeconds", "0", 422, "Invalid request.")]
    public void ContainerLogOptions_Parse_Refusals(string key, string value, int expected, string message)
    {
        ContainerLogOptions.Parse(k => k == key ? value : null, out var status, out var error).Should().BeNull();
        status.Should().Be(expected);
        error.Should().Contain(message);
    }

    private static async Task<string> CopyAsync(string file, ContainerLogOptions options)
    {
        using var log = new MemoryStream(Encoding.UTF8.GetBytes(file));
        using var output = new MemoryStream();
        await ContainerLogCopier.CopyAsync(log, output, options, () => false, new FixedTime(Now), TestContext.Current.CancellationToken);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
