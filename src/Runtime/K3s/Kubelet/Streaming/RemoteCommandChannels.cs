using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>What a remote command (exec, attach) asked for: the query's <c>input</c>, <c>output</c>, <c>error</c>, <c>tty</c>.</summary>
internal sealed record RemoteCommandOptions(bool Stdin, bool Stdout, bool Stderr, bool Tty)
{
    /// <summary>The number of streams a v4 SPDY client opens for these options (error, and resize with a TTY).</summary>
    public int ExpectedStreams => 1 + (Stdin ? 1 : 0) + (Stdout ? 1 : 0) + (Stderr && !Tty ? 1 : 0) + (Tty ? 1 : 0);
}

/// <summary>
/// The channels of one remote command, whatever carries them (SPDY streams or WebSocket channels): stdin to read
/// (null when not asked for), stdout and stderr to write, terminal sizes, and the error channel that gets the final
/// <c>metav1.Status</c>. Disposing ends the connection. Owned by one command session.
/// </summary>
internal abstract class RemoteCommandChannels : IAsyncDisposable
{
    /// <summary>The client's stdin; reads return 0 when it closes it.</summary>
    public Stream? Stdin { get; protected init; }

    public Stream? Stdout { get; protected init; }

    public Stream? Stderr { get; protected init; }

    /// <summary>Terminal sizes the client sends (with a TTY); completes with the connection.</summary>
    public ChannelReader<TerminalSize>? Resize { get; protected init; }

    /// <summary>Completes when the client goes away (so a command it no longer waits for can be stopped).</summary>
    public abstract Task ClientGone { get; }

    /// <summary>Ends stdout and stderr (the command's output is complete).</summary>
    public abstract Task CloseOutputAsync(CancellationToken ct);

    /// <summary>Writes the final status on the error channel and closes it.</summary>
    public abstract Task WriteStatusAsync(JsonObject status, CancellationToken ct);

    public abstract ValueTask DisposeAsync();
}
