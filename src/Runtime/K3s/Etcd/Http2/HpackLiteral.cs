using System.Buffers;
using System.Text;

namespace K3sLab.K3s.Etcd.Http2;

/// <summary>The one HPACK form our own HTTP/2 clients send: a literal header field without indexing, new name, no Huffman coding (RFC 7541 section 6.2.2).</summary>
internal static class HpackLiteral
{
    /// <summary>Appends <paramref name="name"/>: <paramref name="value"/> (both ASCII) to <paramref name="block"/>.</summary>
    public static void Write(IBufferWriter<byte> block, string name, string value)
    {
        var span = block.GetSpan(16 + (2 * (name.Length + value.Length)));
        var at = 0;
        span[at++] = 0;
        at += HpackInteger.Write(span[at..], name.Length, 7, 0);
        at += Encoding.ASCII.GetBytes(name, span[at..]);
        at += HpackInteger.Write(span[at..], value.Length, 7, 0);
        at += Encoding.ASCII.GetBytes(value, span[at..]);
        block.Advance(at);
    }

    /// <summary>The request header fields of a gRPC call (POST to <paramref name="path"/>, <c>application/grpc</c>, <c>te: trailers</c>).</summary>
    public static void WriteGrpcRequest(IBufferWriter<byte> block, string scheme, string authority, string path)
    {
        Write(block, ":method", "POST");
        Write(block, ":scheme", scheme);
        Write(block, ":path", path);
        Write(block, ":authority", authority);
        Write(block, "content-type", "application/grpc");
        Write(block, "te", "trailers");
    }
}
