using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

/// <summary>
/// Real commands on a real pseudo-terminal and on pipes: the size given at the start is what the command reads
/// first; its output is read whole without anyone consuming it, and a background child holding the output open is
/// cut off after the grace.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ExecProcessTerminalTests
{
    [Theory]
    [InlineData(100, 30, "30 100")]
    [InlineData(null, null, "0 0")]
    public async Task Start_WithATerminal_TheCommandReadsTheGivenSizeAtOnce(int? columns, int? rows, string expected)
    {
        var target = new ExecTarget(
            new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, "/tmp", Environment.ProcessId, Stdin: false, Tty: true, "/dev/null", () => true);
        (ushort, ushort)? size = columns is null ? null : ((ushort)columns, (ushort)rows!);
        using var process = ExecProcess.Start(target, ["stty", "size"], tty: true, size);
        var output = new MemoryStream();
        var copy = CopyUntilEndAsync(process.Stdout, output);
        (await process.WaitAsync(TestContext.Current.CancellationToken)).Should().Be(0);
        await copy.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        System.Text.Encoding.ASCII.GetString(output.ToArray()).Trim().Should().Be(expected);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OutputRead_AfterTheCommandExits_HoldsEverythingItWroteBeforeAnyoneReads(bool tty)
    {
        var ct = TestContext.Current.CancellationToken;
        using var process = ExecProcess.Start(Target(), ["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done; echo typed$((40+2)); exit 7"], tty);
        (await process.WaitAsync(ct)).Should().Be(7);

        // Nobody has read Stdout yet: the reader's thread took it all in by itself.
        process.StopReadingAfter(TimeSpan.FromSeconds(30));
        await process.OutputRead.WaitAsync(TimeSpan.FromSeconds(20), ct);
        process.OutputEnded.Should().BeTrue("the command's own output ends when it exits");

        var text = await new StreamReader(process.Stdout).ReadToEndAsync(ct);
        text.Should().Contain("line0").And.Contain("line1999").And.EndWith(tty ? "typed42\r\n" : "typed42\n");
    }

    [Fact]
    public async Task OutputRead_ABackgroundChildHoldsThePipes_StopsAfterTheGraceWithWhatCameBefore()
    {
        // Pipes only: a terminal's session ends when the command, its session leader, exits, and its background
        // children lose the terminal with it.
        var ct = TestContext.Current.CancellationToken;
        using var process = ExecProcess.Start(Target(), ["sh", "-c", "sleep 60 & echo before; echo err >&2; exit 0"], tty: false);
        try
        {
            (await process.WaitAsync(ct)).Should().Be(0);
            process.StopReadingAfter(TimeSpan.FromMilliseconds(200));
            await process.OutputRead.WaitAsync(TimeSpan.FromSeconds(20), ct);

            process.OutputEnded.Should().BeFalse("sleep still holds stdout and stderr open");
            (await new StreamReader(process.Stdout).ReadToEndAsync(ct)).Should().Be("before\n");
            (await new StreamReader(process.Stderr!).ReadToEndAsync(ct)).Should().Be("err\n");
        }
        finally
        {
            // The command's session, with the sleep left in it.
            ProcessGroups.Signal(process.Pid, ProcessGroups.SigKill);
        }
    }

    [Fact]
    public async Task Dispose_WhileTheOutputIsBeingRead_TheReadSeesTheEnd()
    {
        var ct = TestContext.Current.CancellationToken;
        var process = ExecProcess.Start(Target(), ["sh", "-c", "echo first; exec sleep 60"], tty: false);
        var pid = process.Pid;
        try
        {
            var reader = new StreamReader(process.Stdout);
            (await reader.ReadLineAsync(ct)).Should().Be("first");
            var rest = reader.ReadToEndAsync(ct);

            // The kubelet disposes an exec whose client went away while its output copy still reads.
            process.Dispose();

            (await rest.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().BeEmpty("the read ends cleanly, not with an error");
        }
        finally
        {
            ProcessGroups.Signal(pid, ProcessGroups.SigKill);
        }
    }

    private static ExecTarget Target() =>
        new(new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, "/tmp", Environment.ProcessId, Stdin: false, Tty: false, "/dev/null", () => true);

    private static async Task CopyUntilEndAsync(Stream from, Stream to)
    {
        try
        {
            await from.CopyToAsync(to);
        }
        catch (IOException)
        {
            // EIO: the terminal's last slave end closed.
        }
    }
}
