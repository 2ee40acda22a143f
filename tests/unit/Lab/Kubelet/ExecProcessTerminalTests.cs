using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

/// <summary>A real command on a real pseudo-terminal: the size given at the start is what it reads first.</summary>
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
