using System.Text;
using K3sLab.K3s.Kubelet.Logs;
using K3sLab.K3s.Kubelet.Pods;
using K3sLab.K3s.Kubelet.Streaming;

namespace K3sLab.K3s.Kubelet.Server;

// attach: the main process's output, from now on, until it exits.
internal sealed partial class KubeletApi
{
    /// <summary>
    /// Streams what the container writes from now on to the client's stdout and stderr, as attaching to a running
    /// container does (earlier output is <c>kubectl logs</c>'s): containers here write to their CRI log file, so this
    /// follows that file from its current end, line by line, each to the stream it came from. Ends with Success
    /// when the container's run ends or the client goes away.
    /// </summary>
    private static async Task AttachAsync(RemoteCommandChannels channels, ExecTarget target, TimeProvider time, CancellationToken ct)
    {
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _ = channels.ClientGone.ContinueWith(_ => gone.Cancel(), TaskScheduler.Default);
        try
        {
            await using var file = new FileStream(target.LogFile, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete });
            file.Seek(0, SeekOrigin.End);
            var pending = new List<byte>();
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var live = target.Live();
                int n;
                while ((n = await file.ReadAsync(buffer, gone.Token)) > 0)
                {
                    pending.AddRange(buffer.AsSpan(0, n));
                    await WriteLinesAsync(pending, channels, gone.Token);
                }

                if (!live)
                {
                    break;
                }

                await Task.Delay(ContainerLogCopier.PollInterval, time, gone.Token);
            }

            await TryAsync(async () =>
            {
                await channels.CloseOutputAsync(CancellationToken.None);
                await channels.WriteStatusAsync(ExecStatus.Success(), CancellationToken.None);
            });
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException)
        {
            // The client went away.
        }
    }

    /// <summary>Writes every complete CRI line in <paramref name="pending"/> (<c>time stream tag message</c>) to its stream.</summary>
    private static async Task WriteLinesAsync(List<byte> pending, RemoteCommandChannels channels, CancellationToken ct)
    {
        int newline;
        while ((newline = pending.IndexOf((byte)'\n')) >= 0)
        {
            var line = pending.GetRange(0, newline).ToArray();
            pending.RemoveRange(0, newline + 1);
            var text = Encoding.UTF8.GetString(line);
            var fields = text.Split(' ', 4);
            if (fields.Length < 3)
            {
                continue;
            }

            var message = fields.Length == 4 ? fields[3] : string.Empty;
            var output = fields[1] == "stderr" ? channels.Stderr : channels.Stdout;
            if (output is not null)
            {
                await output.WriteAsync(Encoding.UTF8.GetBytes(fields[2] == "P" ? message : message + "\n"), ct);
            }
        }
    }
}
