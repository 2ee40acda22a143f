namespace K3sLab.K3s.Cli;

/// <summary>Hands a web host's logs to the runtime's logger factory (web hosts take providers, the runtime has a factory).</summary>
internal sealed class LoggerFactoryProvider(ILoggerFactory factory) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

    public void Dispose()
    {
    }
}
