using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace K3sLab.K3s.Etcd.Http2;

/// <summary>
/// A Kestrel connection middleware that puts a <see cref="ClientFrameRewriter"/> between the connection and
/// Kestrel's HTTP/2 parser, so that an <c>:authority</c> holding a whole URL (etcdctl 3.4's per-endpoint calls send
/// <c>http://host:port</c>) reaches Kestrel as <c>host:port</c> instead of failing its Host validation with
/// RST_STREAM PROTOCOL_ERROR. Kestrel has no option to skip that validation; etcd's Go server does not validate.
/// </summary>
/// <remarks>
/// Added after <c>UseHttps</c>, it sees the decrypted bytes: listen options run their middleware in the order they
/// were added, with Kestrel's HTTP layer last. Only the client-to-server direction is touched; responses are written
/// straight to the connection.
/// </remarks>
internal static partial class AuthorityNormalization
{
    // Kestrel's read continues inline on the pump's thread (itself a thread-pool thread): no extra hop per read.
    private static readonly PipeOptions RewrittenInput = new(
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 1024 * 1024,
        resumeWriterThreshold: 512 * 1024,
        useSynchronizationContext: false);

    /// <summary>Adds the middleware to <paramref name="listen"/>; call it after <c>UseHttps</c>.</summary>
    public static ListenOptions UseAuthorityNormalization(this ListenOptions listen)
    {
        listen.Use(next =>
        {
            var logger = listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuthorityNormalization));
            return connection => RunAsync(connection, next, logger);
        });
        return listen;
    }

    private static async Task RunAsync(ConnectionContext connection, ConnectionDelegate next, ILogger logger)
    {
        var transport = connection.Transport;
        var rewritten = new Pipe(RewrittenInput);
        connection.Transport = new DuplexPipe(rewritten.Reader, transport.Output);
        var pump = PumpAsync(transport.Input, rewritten.Writer, connection.ConnectionId, logger);
        try
        {
            await next(connection);
        }
        finally
        {
            // Kestrel is done with the connection: stop reading for it, whatever the pump was waiting on (the
            // connection, or room in a pipe nobody reads any more).
            await rewritten.Reader.CompleteAsync();
            transport.Input.CancelPendingRead();
            await pump;
            connection.Transport = transport;
        }
    }

    /// <summary>Copies the client's bytes through the rewriter until either side ends; never throws.</summary>
    private static async Task PumpAsync(PipeReader input, PipeWriter output, string connectionId, ILogger logger)
    {
        var rewriter = new ClientFrameRewriter();
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                if (result.IsCanceled)
                {
                    break;
                }

                var buffer = result.Buffer;
                var rewriting = rewriter.PassThroughReason is null;
                var consumed = rewriter.Process(buffer, output);
                if (rewriting && rewriter.PassThroughReason is { } reason)
                {
                    Log.PassingThrough(logger, connectionId, reason);
                }

                if (result.IsCompleted)
                {
                    rewriter.Complete(buffer.Slice(consumed), output);
                    input.AdvanceTo(buffer.End);
                    await output.FlushAsync();
                    break;
                }

                input.AdvanceTo(consumed, buffer.End);
                var flush = await output.FlushAsync();
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            // The connection failed (reset, TLS error) or the rewriter did: Kestrel sees the failure on its input.
            failure = e;
        }

        await output.CompleteAsync(failure);
        await input.CompleteAsync();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
