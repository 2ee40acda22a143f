namespace K3sLab.K3s.Controllers.Disruption;

/// <summary>The disruption controller's log lines (event ids 4800-4809).</summary>
internal sealed partial class DisruptionController
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4800, Level = LogLevel.Warning, Message = "disruption {Key}: failed to sync the budget, allowing no disruption: {Error}")]
        public static partial void SyncFailed(ILogger logger, string key, string error);

        [LoggerMessage(EventId = 4801, Level = LogLevel.Debug, Message = "disruption {Key}: status written, {Allowed} disruptions allowed ({Healthy} healthy, {Desired} desired)")]
        public static partial void StatusWritten(ILogger logger, string key, long allowed, long healthy, long desired);
    }
}
