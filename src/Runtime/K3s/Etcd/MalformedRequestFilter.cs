using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace K3sLab.K3s.Etcd;

/// <summary>
/// Answers a unary call whose body is not a valid protobuf message of the method's request type as grpc-go (and
/// so etcd) does: <c>Internal</c>, "grpc: error unmarshalling request: ...". ASP.NET Core's gRPC server would call it
/// <c>Unknown</c>, "Exception was thrown by handler." The body is read and parsed once here, then handed on
/// unchanged. Streaming methods (Watch, LeaseKeepAlive) and compressed messages pass straight through.
/// </summary>
internal static class MalformedRequestFilter
{
    /// <summary>The largest body checked here; a larger one is left to the gRPC server's own size limit.</summary>
    private const int MaxChecked = 16 * 1024 * 1024;

    private static readonly Dictionary<string, MessageParser> Parsers = Build(
        Wire.KV.Descriptor, Wire.Lease.Descriptor, Wire.Cluster.Descriptor, Wire.Maintenance.Descriptor);

    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!Parsers.TryGetValue(context.Request.Path.Value ?? string.Empty, out var parser)
            || context.Request.ContentLength is > MaxChecked)
        {
            await next(context);
            return;
        }

        var body = await ReadAsync(context.Request.BodyReader, context.RequestAborted);
        if (body is null)
        {
            await next(context);
            return;
        }

        if (Invalid(body, parser) is { } reason)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "13";
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString($"grpc: error unmarshalling request: {reason}");
            return;
        }

        context.Request.Body = new MemoryStream(body, writable: false);
        await next(context);
    }

    /// <summary>Null when the body is one uncompressed, complete frame that parses; otherwise why it does not.</summary>
    private static string? Invalid(byte[] body, MessageParser parser)
    {
        if (body.Length < 5 || body[0] != 0 || BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1)) != body.Length - 5)
        {
            // Not a single plain frame: the gRPC server reports framing errors itself.
            return null;
        }

        try
        {
            parser.ParseFrom(body, 5, body.Length - 5);
            return null;
        }
        catch (InvalidProtocolBufferException e)
        {
            return e.Message;
        }
    }

    private static async Task<byte[]?> ReadAsync(System.IO.Pipelines.PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            if (result.Buffer.Length > MaxChecked)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                return null;
            }

            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static Dictionary<string, MessageParser> Build(params Google.Protobuf.Reflection.ServiceDescriptor[] services) =>
        services.SelectMany(s => s.Methods.Where(m => !m.IsClientStreaming).Select(m => (Path: $"/{s.FullName}/{m.Name}", m.InputType.Parser)))
            .ToDictionary(p => p.Path, p => p.Parser);
}
