using System.Net;
using System.Net.Sockets;

namespace K3sLab.Lab.Host;

/// <summary>Loopback port helpers for starting real servers in tests and benchmarks.</summary>
public static class Loopback
{
    private const int FirstPort = 20000;
    private const int EphemeralStart = 32768;

    /// <summary>How many of the ports handed out last are never handed out again (a third of the range).</summary>
    private const int Remembered = 4096;

    private static readonly Queue<int> HandedOut = new();
    private static readonly HashSet<int> Recent = [];

    /// <summary>
    /// A port no one listened on at 127.0.0.1 a moment ago, checked by binding it, from below Linux's ephemeral range
    /// (32768 and up). A port the OS picks with bind(0) comes from that range, where any client connection on the
    /// machine may take it as its own local port before the server that was meant to listen there starts: a raft
    /// benchmark member once failed with "address already in use" after 200 client connections ran.
    /// Callers usually take several ports before starting anything on them, so a port handed out recently by this
    /// process is not handed out again (two members of a raft benchmark once drew the same peer port and the second
    /// was refused with "Peer URLs already exists").
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(FirstPort, EphemeralStart);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
            }
            catch (SocketException)
            {
                // Taken; try another.
                continue;
            }

            lock (HandedOut)
            {
                if (!Recent.Add(port))
                {
                    continue;
                }

                HandedOut.Enqueue(port);
                if (HandedOut.Count > Remembered)
                {
                    Recent.Remove(HandedOut.Dequeue());
                }
            }

            return port;
        }

        throw new InvalidOperationException($"no free port between {FirstPort} and {EphemeralStart} on 127.0.0.1 after 200 tries");
    }

    /// <summary>Whether something accepts TCP connections on 127.0.0.1:<paramref name="port"/> right now.</summary>
    public static Task<bool> AcceptsAsync(int port, CancellationToken cancellationToken) => AcceptsAsync(IPAddress.Loopback, port, cancellationToken);

    /// <summary>Whether something accepts TCP connections on <paramref name="address"/>:<paramref name="port"/> right now.</summary>
    public static async Task<bool> AcceptsAsync(IPAddress address, int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(address, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
