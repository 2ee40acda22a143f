namespace K3sLab.K3s.Cli;

/// <summary>
/// The runtime's log output: one line per event on stderr with UTC timestamps, as k3s's logs read, but to the
/// millisecond: explaining a failover needs the order and spacing of events within one second.
/// </summary>
internal static partial class RuntimeLogging
{
    public static ILoggerFactory Create() => LoggerFactory.Create(builder =>
    {
        var debug = Environment.GetEnvironmentVariable("K3S_DEBUG") == "true";
        builder.SetMinimumLevel(debug ? LogLevel.Debug : LogLevel.Information);
        builder.AddFilter("Microsoft.AspNetCore", debug ? LogLevel.Debug : LogLevel.Warning);
        builder.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });

        // Same provider; this only sends every level to stderr, keeping stdout for command output.
        builder.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
    });

    /// <summary>Logs the reason the process cannot go on; the caller exits non-zero.</summary>
    [LoggerMessage(EventId = 1, Level = LogLevel.Critical, Message = "{Reason}")]
    public static partial void Fatal(ILogger logger, string reason);

    /// <summary>A setting the process understood but does not act on, named so the user knows.</summary>
    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{What}")]
    public static partial void Ignored(ILogger logger, string what);
}
