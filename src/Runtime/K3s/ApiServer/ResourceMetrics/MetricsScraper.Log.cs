namespace K3sLab.K3s.ApiServer.ResourceMetrics;

internal sealed partial class MetricsScraper
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3450, Level = LogLevel.Warning, Message = "metrics-server: cannot scrape the kubelet of node {Node}: {Reason}; kubectl top leaves it out until it answers")]
        public static partial void ScrapeFailed(ILogger logger, string node, string reason);

        [LoggerMessage(EventId = 3451, Level = LogLevel.Warning, Message = "metrics-server: a collection cycle failed: {Reason}")]
        public static partial void CycleFailed(ILogger logger, string reason);
    }
}
