using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace K3sLab.Perf.AgentLb;

/// <summary>
/// TCP connections made inside another process's network namespace, such as a lab container's: a socket belongs to
/// the namespace it was created in, so a short-lived thread enters the namespace with setns(2), creates the socket
/// and ends, and the socket then connects and carries traffic from any thread of this process. Needs root (or
/// CAP_SYS_ADMIN), which the lab has; the rest of this process stays in its own namespace.
/// </summary>
internal static partial class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000;

    /// <summary>Connects to <paramref name="endpoint"/> as seen from inside the network namespace of process <paramref name="pid"/>.</summary>
    public static async ValueTask<Stream> ConnectAsync(int pid, IPEndPoint endpoint, CancellationToken ct)
    {
        var socket = CreateSocketIn(pid, endpoint.AddressFamily);
        try
        {
            await socket.ConnectAsync(endpoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket CreateSocketIn(int pid, AddressFamily family)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                var path = $"/proc/{pid}/ns/net";
                var fd = Open(path, ReadOnly | CloseOnExec);
                if (fd < 0)
                {
                    throw new IOException($"cannot open {path}: errno {Marshal.GetLastPInvokeError()}");
                }

                try
                {
                    if (SetNs(fd, CloneNewNet) != 0)
                    {
                        throw new IOException($"cannot enter the network namespace {path}: errno {Marshal.GetLastPInvokeError()} (root is needed)");
                    }
                }
                finally
                {
                    _ = Close(fd);
                }

                socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        {
            IsBackground = true,
            Name = "netns-socket",
        };

        // The thread ends in the other namespace; being its own OS thread, it takes that namespace with it.
        thread.Start();
        thread.Join();
        return socket ?? throw (error ?? new IOException("no socket was created"));
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
