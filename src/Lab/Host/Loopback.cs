using System.Net;
using System.Net.Sockets;

namespace K3sLab.Lab.Host;

/// <summary>Loopback port helpers for starting real servers in tests and benchmarks.</summary>
public static class Loopback
{
    /// <summary>A port that was free on 127.0.0.1 a moment ago (the OS picked it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
