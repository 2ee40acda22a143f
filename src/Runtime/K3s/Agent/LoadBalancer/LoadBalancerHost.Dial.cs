using System.Net;
using System.Net.Sockets;

namespace K3sLab.K3s.Agent.LoadBalancer;

internal sealed partial class LoadBalancerHost
{
    /// <summary>One dial within the dial timeout; null when it fails or times out.</summary>
    private async Task<Socket?> ConnectAsync(string address, CancellationToken cancellationToken)
    {
        if (EndPointOf(address) is not { } endpoint)
        {
            Log.DialFailed(_logger, address, "not a host:port address");
            return null;
        }

        // A name needs a dual-mode socket to reach either family; an address gets a socket of its own family.
        Socket? socket = null;
        using var timeout = new CancellationTokenSource(_options.DialTimeout, _time);
        using var dial = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            socket = endpoint is IPEndPoint ip ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : new Socket(SocketType.Stream, ProtocolType.Tcp);
            socket.NoDelay = true;
            await socket.ConnectAsync(endpoint, dial.Token);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket?.Dispose();
            if (!cancellationToken.IsCancellationRequested)
            {
                Log.DialFailed(_logger, address, e is SocketException s ? s.SocketErrorCode.ToString() : $"no answer within {_options.DialTimeout.TotalSeconds:0.###} s");
            }

            return null;
        }
    }

    /// <summary>Parses host:port (IPv6 hosts in brackets); a name is resolved at dial time.</summary>
    internal static EndPoint? EndPointOf(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
        {
            return null;
        }

        var host = address[..colon];
        var bracketed = host.StartsWith('[') && host.EndsWith(']');
        if (bracketed)
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            // An IPv6 host without brackets: which colon starts the port is a guess, so refuse it.
            return null;
        }

        return IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : !bracketed && host.Length > 0 ? new DnsEndPoint(host, port) : null;
    }
}
