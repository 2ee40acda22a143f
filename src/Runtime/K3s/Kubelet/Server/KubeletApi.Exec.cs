using K3sLab.K3s.Kubelet.Pods;
using K3sLab.K3s.Kubelet.Streaming;

namespace K3sLab.K3s.Kubelet.Server;

// exec: a new process in the container's context, wired to the client's channels.
internal sealed partial class KubeletApi
{
    private static readonly TimeSpan FirstSizeWait = TimeSpan.FromSeconds(1);

    private static async Task ExecAsync(RemoteCommandChannels channels, PodWorker worker, ExecTarget target, IReadOnlyList<string> command, RemoteCommandOptions options, ILogger logger, string ns, string pod, string container)
    {
        var size = options.Tty ? await FirstSizeAsync(channels) : null;
        ExecProcess process;
        try
        {
            process = ExecProcess.Start(target, command, options.Tty, size is { } s ? (s.Width, s.Height) : null);
        }
        catch (Exception e) when (e is ContainerStartException or IOException)
        {
            Log.ExecFailed(logger, ns, pod, container, e.Message);
            await TryAsync(async () =>
            {
                await channels.CloseOutputAsync(CancellationToken.None);
                await channels.WriteStatusAsync(ExecStatus.Internal($"error executing command in container: {e.Message}"), CancellationToken.None);
            });
            return;
        }

        using (process)
        using (worker.TrackExec(process))
        {
            Log.Exec(logger, ns, pod, container, process.Pid);
            var stdout = CopyOutputAsync(process.Stdout, channels.Stdout);
            var stderr = process.Stderr is null ? Task.CompletedTask : CopyOutputAsync(process.Stderr, channels.Stderr);
            // stdin and resizes end with the client's channels (disposed below); nothing needs to wait for them.
            _ = CopyStdinAsync(channels.Stdin, process.Stdin, options.Tty);
            _ = ResizeAsync(channels, process);
            var exited = process.WaitAsync(CancellationToken.None);
            if (await Task.WhenAny(exited, channels.ClientGone) != exited)
            {
                // The client went away: nobody waits for the command any more (the kubelet's exec ends with its stream).
                process.Kill();
            }

            var code = await exited;
            await WhenDrainedAsync(process, stdout, stderr, options.Tty, channels.ClientGone);
            var output = process.OutputEnded ? "was read to its end"
                : channels.ClientGone.IsCompleted ? "was not all read: the client went away"
                : "was cut off: another process still holds it open";
            Log.ExecEnded(logger, ns, pod, container, process.Pid, code, output);
            await TryAsync(async () =>
            {
                await channels.CloseOutputAsync(CancellationToken.None);
                await channels.WriteStatusAsync(code == 0 ? ExecStatus.Success() : ExecStatus.Exited(command, code), CancellationToken.None);
            });
        }
    }

    /// <summary>
    /// After the command exited, waits until its output is read and forwarded. What it wrote before it exited is
    /// always read to the end: the readers run on threads of their own, so a busy host delays it but no deadline cuts
    /// it off (a full test run on two busy cores once lost a shell's last line, most likely to the two-second deadline
    /// this had when the reads waited for the thread pool). A terminal ends when the command, its session leader,
    /// exits; pipes that a background child still holds are read for five more seconds (two for a terminal), then
    /// left. Forwarding ends early only when the client goes away.
    /// </summary>
    private static async Task WhenDrainedAsync(ExecProcess process, Task stdout, Task stderr, bool tty, Task clientGone)
    {
        process.StopReadingAfter(TimeSpan.FromSeconds(tty ? 2 : 5));
        await Task.WhenAny(Task.WhenAll(process.OutputRead, stdout, stderr), clientGone);
    }

    private static async Task CopyOutputAsync(Stream from, Stream? to)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer)) > 0)
            {
                if (to is not null)
                {
                    await to.WriteAsync(buffer.AsMemory(0, n));
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.WebSockets.WebSocketException or OperationCanceledException)
        {
            // A client that went away.
        }
    }

    private static async Task CopyStdinAsync(Stream? from, Stream to, bool tty)
    {
        if (from is null)
        {
            if (!tty)
            {
                await to.DisposeAsync();
            }

            return;
        }

        var buffer = new byte[32 * 1024];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n));
                await to.FlushAsync();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            if (!tty)
            {
                // The client closed stdin: the command reads end of file.
                await TryAsync(async () => await to.DisposeAsync());
            }
        }
    }

    /// <summary>
    /// The size a terminal client sends first, so the command starts on a terminal of that size: kubectl sends it as
    /// soon as its streams are up, and a command that reads the size at once (<c>stty size</c>, a shell's prompt
    /// layout) would otherwise see 0 by 0. A client that sends none within a second gets the terminal as it is.
    /// </summary>
    private static async Task<TerminalSize?> FirstSizeAsync(RemoteCommandChannels channels)
    {
        if (channels.Resize is null)
        {
            return null;
        }

        try
        {
            return await channels.Resize.ReadAsync().AsTask().WaitAsync(FirstSizeWait);
        }
        catch (Exception e) when (e is TimeoutException or System.Threading.Channels.ChannelClosedException or OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task ResizeAsync(RemoteCommandChannels channels, ExecProcess process)
    {
        if (channels.Resize is null)
        {
            return;
        }

        await foreach (var size in channels.Resize.ReadAllAsync())
        {
            process.Resize(size.Width, size.Height);
        }
    }

    private static async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.WebSockets.WebSocketException or OperationCanceledException)
        {
            // The client is gone; there is nobody to tell.
        }
    }
}
