using System.Buffers;
using System.Net.Sockets;

namespace K3sLab.K3s.Agent.LoadBalancer;

/// <summary>
/// One client connection piped to one server. Bytes are copied both ways through two pooled buffers with no
/// allocation per read. End of stream from one side becomes a half-close (shutdown of sending) on the other, so
/// request/response protocols that finish one direction first keep working; a reset or error on either side, or
/// <see cref="Abort"/>, tears both down abortively so the client sees the break at once and reconnects.
/// <see cref="RunAsync"/> completes when both directions are done; it owns and disposes both sockets.
/// </summary>
internal sealed class ProxiedConnection(Socket client, Socket server, string address)
{
    /// <summary>Per direction: large enough for a TLS record (16 KiB plus header) in one read.</summary>
    private const int BufferSize = 17 * 1024;

    private int _aborted;

    /// <summary>The server (host:port) this connection was dialed to.</summary>
    public string Address => address;

    public async Task RunAsync()
    {
        try
        {
            await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    /// <summary>
    /// Closes both sides with a reset (linger 0) and ends the pumps. Safe to call more than once and from any thread.
    /// </summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        AbortSocket(client);
        AbortSocket(server);
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                if (read == 0)
                {
                    // Pass the half-close on; the other direction keeps flowing until its own end of stream.
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                for (var sent = 0; sent < read;)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // A reset or an abort from either side ends both directions.
            Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void AbortSocket(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(enable: true, seconds: 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to reset.
        }

        socket.Dispose();
    }
}
