namespace K3sLab.K3s.ApiServer.Aggregation;

/// <summary>The APIService registration's log lines (event ids 1960-1969).</summary>
internal sealed partial class ApiServiceRegistration
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1960, Level = LogLevel.Debug, Message = "Registered the local APIService {Name}")]
        public static partial void Registered(ILogger logger, string name);

        [LoggerMessage(EventId = 1961, Level = LogLevel.Information, Message = "Removed the APIService {Name}: its group version is no longer served here")]
        public static partial void Unregistered(ILogger logger, string name);

        [LoggerMessage(EventId = 1962, Level = LogLevel.Warning, Message = "APIService registration failed, retrying in 1 s: {Error}")]
        public static partial void SyncFailed(ILogger logger, string error);
    }
}
