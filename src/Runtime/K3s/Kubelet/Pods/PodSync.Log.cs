namespace K3sLab.K3s.Kubelet.Pods;

internal sealed partial class PodSync
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 7110, Level = LogLevel.Warning, Message = "Watching this node's pods failed, retrying: {Error}")]
        public static partial void WatchFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 7111, Level = LogLevel.Debug, Message = "Pod {Namespace}/{Pod}: worker ended")]
        public static partial void WorkerEnded(ILogger logger, string @namespace, string pod);
    }
}
