using System.Net;
using System.Net.Sockets;
using System.Text;

namespace K3sLab.Lab.Tests.Agent;

/// <summary>
/// A tiny loopback TCP server standing in for a k3s server: it greets each connection with its name and a newline,
/// then echoes what it receives; at the client's end of stream it half-closes too. <see cref="Stop"/> either leaves
/// accepted connections hanging (a hung or partitioned server) or resets them (a crash); <see cref="Restart"/> binds
/// the same port again.
/// </summary>
internal sealed class NamedServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Socket> _accepted = [];
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;

    private NamedServer(string name) => Name = name;

    public string Name { get; }

    public int Port { get; private set; }

    public string Address => $"127.0.0.1:{Port}";

    public bool Listening
    {
        get
        {
            lock (_gate)
            {
                return _listener is not null;
            }
        }
    }

    public static NamedServer Start(string name)
    {
        var server = new NamedServer(name);
        server.Listen(0);
        return server;
    }

    public void Restart() => Listen(Port);

    public void Stop(bool resetConnections)
    {
        Socket? listener;
        List<Socket> accepted;
        lock (_gate)
        {
            listener = _listener;
            _listener = null;
            accepted = resetConnections ? [.. _accepted] : [];
            if (resetConnections)
            {
                _accepted.Clear();
            }
        }

        listener?.Dispose();
        foreach (var socket in accepted)
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Stop(resetConnections: true);
        List<Socket> rest;
        lock (_gate)
        {
            rest = [.. _accepted];
            _accepted.Clear();
        }

        foreach (var socket in rest)
        {
            socket.Dispose();
        }

        await _acceptLoop;
    }

    private void Listen(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(64);
        lock (_gate)
        {
            _listener = listener;
        }

        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _acceptLoop = AcceptLoopAsync(listener);
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_gate)
            {
                _accepted.Add(client);
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var buffer = new byte[4096];
        try
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(Name + "\n"), SocketFlags.None);
            while (true)
            {
                var read = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                if (read == 0)
                {
                    client.Shutdown(SocketShutdown.Send);
                    return;
                }

                await client.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Reset by the peer or by Stop.
        }
    }
}
