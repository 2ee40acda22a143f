using Microsoft.Extensions.Logging;

namespace K3sLab.Cli.Output;

/// <summary>
/// Writes the lab's log messages as plain progress lines on stderr (stdout is kept for results, e.g. <c>-o json</c>).
/// Information is printed as-is, warnings and errors with a prefix; debug output only with <c>K3SLAB_DEBUG=1</c>.
/// </summary>
internal sealed class ConsoleProgressLogger : ILogger
{
    private static readonly bool Debug = Environment.GetEnvironmentVariable("K3SLAB_DEBUG") == "1";
    private readonly TextWriter _writer;

    public ConsoleProgressLogger(TextWriter? writer = null) => _writer = writer ?? Console.Error;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= (Debug ? LogLevel.Debug : LogLevel.Information);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var prefix = logLevel switch
        {
            LogLevel.Warning => "warning: ",
            >= LogLevel.Error => "error: ",
            _ => string.Empty,
        };
        lock (_writer)
        {
            _writer.WriteLine(prefix + formatter(state, exception));
        }
    }
}
