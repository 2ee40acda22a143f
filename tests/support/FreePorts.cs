using System.Net;
using System.Net.Sockets;

namespace K3sLab.Tests.Support;

/// <summary>
/// Ports for listeners a test starts on loopback. They come from below Linux's ephemeral range (32768 and up), so a
/// client connection elsewhere on the machine cannot take one between the pick and the listener's start, and each is
/// checked free by binding it first. (A random port up to 40000 once collided with a client port in CI.)
/// </summary>
public static class FreePorts
{
    private const int First = 20000;
    private const int EphemeralStart = 32768;

    /// <summary>A port on 127.0.0.1 no one listens on now, outside the ephemeral range.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(First, EphemeralStart);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException($"no free port between {First} and {EphemeralStart} on 127.0.0.1 after 200 tries");
    }
}
