using System.Net;
using System.Net.Sockets;

namespace K3sLab.Lab.Host;

/// <summary>Loopback port helpers for starting real servers in tests and benchmarks.</summary>
public static class Loopback
{
    private const int FirstPort = 20000;
    private const int EphemeralStart = 32768;

    /// <summary>
    /// A port no one listened on at 127.0.0.1 a moment ago, checked by binding it, from below Linux's ephemeral range
    /// (32768 and up). A port the OS picks with bind(0) comes from that range, where any client connection on the
    /// machine may take it as its own local port before the server that was meant to listen there starts: a raft
    /// benchmark member once failed with "address already in use" after 200 client connections ran.
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
                return port;
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
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
