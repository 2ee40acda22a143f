using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace K3sLab.K3s.ClusterDns;

// Answering one query: from the cluster's names, or through the upstream servers.
internal sealed partial class DnsServer
{
    /// <summary>The reply to <paramref name="message"/>, or null when it is too short to carry even an id.</summary>
    internal async Task<byte[]?> AnswerAsync(byte[] message, bool tcp, CancellationToken ct)
    {
        if (DnsQuery.Parse(message, out _) is not { } query)
        {
            return message.Length >= 2 ? DnsResponse.FormatError(message) : null;
        }

        if (query.Opcode != 0)
        {
            return DnsResponse.Error(query, DnsType.NotImplemented);
        }

        var answer = query.Class == DnsType.ClassIn ? _model().Resolve(query.Name, query.Type) : DnsAnswer.Forward;
        if (answer.Forwarded)
        {
            return await ForwardAsync(message, tcp, ct) ?? DnsResponse.Error(query, DnsType.ServerFailure);
        }

        if (query.Type is DnsType.A or DnsType.Aaaa && answer.Answers is [{ Type: DnsType.Cname, Data: string target }])
        {
            answer = answer with { Answers = [.. answer.Answers, .. await FollowAsync(target, query.Type, ct)] };
        }

        var limit = tcp ? ushort.MaxValue : Math.Clamp(query.EdnsPayloadSize ?? 512, 512, DnsResponse.EdnsPayloadSize);
        return DnsResponse.Write(query, answer, limit);
    }

    /// <summary>The records a CNAME's target has: from the cluster's names, else from the upstream servers.</summary>
    private async Task<IReadOnlyList<DnsRecord>> FollowAsync(string target, ushort type, CancellationToken ct)
    {
        var inCluster = _model().Resolve(target, type);
        if (!inCluster.Forwarded)
        {
            return inCluster.Answers;
        }

        var ask = new DnsQuery((ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1), true, 0, target, type, DnsType.ClassIn, null);
        return await ForwardAsync(ask.Encode(), tcp: false, ct) is { } reply && UpstreamRecords.Parse(reply) is { } parsed ? parsed.Records : [];
    }

    /// <summary>The first upstream server's answer to the query as it came, or null when none answered in time.</summary>
    private async Task<byte[]?> ForwardAsync(byte[] message, bool tcp, CancellationToken ct)
    {
        foreach (var upstream in _upstreams)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(UpstreamTimeout);
            try
            {
                var reply = tcp ? await ForwardTcpAsync(upstream, message, deadline.Token) : await ForwardUdpAsync(upstream, message, deadline.Token);
                if (reply is not null)
                {
                    return reply;
                }
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                Log.ForwardFailed(_logger, upstream.ToString(), e.Message);
            }
        }

        if (_upstreams.Count == 0 && Interlocked.Exchange(ref _warnedNoUpstream, 1) == 0)
        {
            Log.NoUpstream(_logger);
        }

        return null;
    }

    private static async Task<byte[]?> ForwardUdpAsync(IPEndPoint upstream, byte[] message, CancellationToken ct)
    {
        using var socket = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(upstream, ct);
        await socket.SendAsync(message, SocketFlags.None, ct);
        var buffer = new byte[65535];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (read >= 12 && buffer[0] == message[0] && buffer[1] == message[1])
            {
                return buffer[..read];
            }
        }
    }

    private static async Task<byte[]?> ForwardTcpAsync(IPEndPoint upstream, byte[] message, CancellationToken ct)
    {
        using var client = new TcpClient(upstream.AddressFamily);
        await client.ConnectAsync(upstream, ct);
        var stream = client.GetStream();
        var framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed, 2);
        await stream.WriteAsync(framed, ct);
        var length = new byte[2];
        await stream.ReadExactlyAsync(length, ct);
        var reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
        await stream.ReadExactlyAsync(reply, ct);
        return reply;
    }
}
