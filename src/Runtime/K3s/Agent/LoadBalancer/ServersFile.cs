namespace K3sLab.K3s.Agent.LoadBalancer;

/// <summary>
/// The lab balancer's server list kept in a file, one <c>address:port</c> per line (blank lines and <c>#</c> comments
/// ignored): read at start and read again whenever its content changes, so the lab can change a running balancer's
/// servers the way k3d rewrites its nginx balancer's configuration, without closing the connections it carries. A
/// writer puts the new list in a file beside it and renames it into place, so a read never sees half a list.
/// </summary>
internal sealed partial class ServersFile(string path, TimeProvider time, ILogger logger)
{
    /// <summary>How often the file is looked at.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private string? _seen;

    public string Path => path;

    /// <summary>The addresses in <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">A line that is not an address:port, naming the line.</exception>
    public static IReadOnlyList<string> Parse(string text)
    {
        var servers = new List<string>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (LoadBalancerHost.EndPointOf(line) is null)
            {
                throw new FormatException($"line {number}: \"{line}\" is not an address:port such as 172.28.0.10:6443");
            }

            servers.Add(line);
        }

        return servers;
    }

    /// <summary>The list in the file now, or null when the file is missing; remembers the content as seen.</summary>
    /// <exception cref="FormatException">A bad line.</exception>
    public IReadOnlyList<string>? Read()
    {
        var text = ReadText();
        _seen = text;
        return text is null ? null : Parse(text);
    }

    /// <summary>
    /// Calls <paramref name="changed"/> with the new list each time the file's content changes, until cancelled. A
    /// file that is removed, or holds a bad line, is logged and the balancer keeps its list.
    /// </summary>
    public async Task WatchAsync(Action<IReadOnlyList<string>> changed, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (Poll() is { } list)
            {
                changed(list);
            }
        }
    }

    /// <summary>
    /// One look at the file: the new list when its content changed since the last look and holds one; null when it
    /// is unchanged, removed or bad (the last two logged).
    /// </summary>
    public IReadOnlyList<string>? Poll()
    {
        var text = ReadText();
        if (text == _seen)
        {
            return null;
        }

        _seen = text;
        if (text is null)
        {
            Log.Removed(logger, path);
            return null;
        }

        try
        {
            return Parse(text);
        }
        catch (FormatException e)
        {
            Log.Invalid(logger, path, e.Message);
            return null;
        }
    }

    private string? ReadText()
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (IOException e)
        {
            Log.Unreadable(logger, path, e.Message);
            return _seen;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6452, Level = LogLevel.Warning, Message = "The servers file {Path} was removed; the load balancer keeps its current servers")]
        public static partial void Removed(ILogger logger, string path);

        [LoggerMessage(EventId = 6453, Level = LogLevel.Warning, Message = "The servers file {Path} is not a server list ({Reason}); the load balancer keeps its current servers")]
        public static partial void Invalid(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 6454, Level = LogLevel.Warning, Message = "Could not read the servers file {Path}: {Reason}")]
        public static partial void Unreadable(ILogger logger, string path, string reason);
    }
}
