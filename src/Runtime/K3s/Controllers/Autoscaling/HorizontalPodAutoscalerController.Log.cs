namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>The controller's log lines (event ids 4700–4709).</summary>
internal sealed partial class HorizontalPodAutoscalerController
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4700, Level = LogLevel.Information, Message = "hpa {Key}: rescaled its target from {Current} to {Desired} replicas")]
        public static partial void Rescaled(ILogger logger, string key, int current, int desired);

        [LoggerMessage(EventId = 4701, Level = LogLevel.Warning, Message = "hpa {Key}: {Error}")]
        public static partial void SyncFailed(ILogger logger, string key, string error);

        [LoggerMessage(EventId = 4702, Level = LogLevel.Warning, Message = "hpa {Key}: writing the status failed, retrying at the next sync: {Error}")]
        public static partial void StatusFailed(ILogger logger, string key, string error);
    }
}
