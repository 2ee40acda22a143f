using System.Net;
using System.Net.Sockets;
using System.Text;

namespace K3sLab.Lab.Tests.Agent;

/// <summary>A client of the balancer under test: reads the greeting line and notices when the connection is closed.</summary>
internal sealed class TestClient : IDisposable
{
    /// <summary>The bound on every wait: generous for a loaded CI machine, and a test fails rather than hangs.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;

    private TestClient(Socket socket) => _socket = socket;

    public static async Task<TestClient> ConnectAsync(IPEndPoint balancer)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(Patience);
        await socket.ConnectAsync(balancer, timeout.Token);
        return new TestClient(socket);
    }

    /// <summary>Connects and returns the name of the server that answered.</summary>
    public static async Task<(TestClient Client, string Server)> ConnectAndGreetAsync(IPEndPoint balancer)
    {
        var client = await ConnectAsync(balancer);
        return (client, await client.ReadLineAsync());
    }

    public async Task<string> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            var read = await _socket.ReceiveAsync(one, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new IOException($"the connection closed after \"{line}\" without a full line");
            }

            if (one[0] == '\n')
            {
                return line.ToString();
            }

            line.Append((char)one[0]);
        }
    }

    public Task SendAsync(string text) => _socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);

    public void EndSending() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads until end of stream or reset; returns what was read, or throws when neither comes in time.</summary>
    public async Task<string> ReadToCloseAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var text = new StringBuilder();
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    return text.ToString();
                }

                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (SocketException)
        {
            return text.ToString();
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the connection was still open after {Patience.TotalSeconds} s");
        }
    }

    public void Dispose() => _socket.Dispose();
}
