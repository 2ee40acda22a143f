namespace K3sLab.K3s.Store.Etcd;

/// <summary>The external etcd client's log lines (event ids 4510-4549; 4500-4502 belong to the kubelet API).</summary>
internal sealed partial class EtcdClientStore
{
    /// <summary>Shared by the store, its watches and its startup.</summary>
    internal static partial class Log
    {
        [LoggerMessage(EventId = 4510, Level = LogLevel.Information, Message = "Connected to the etcd cluster {Endpoints} (etcd {Version}) at revision {Revision}")]
        public static partial void Connected(ILogger logger, string endpoints, string version, long revision);

        [LoggerMessage(EventId = 4511, Level = LogLevel.Information, Message = "etcd {Version} may send watch progress notifications ahead of queued events (fixed in 3.4.31 and 3.5.13); watch bookmarks report the last delivered revision instead")]
        public static partial void ProgressUntrusted(ILogger logger, string version);

        [LoggerMessage(EventId = 4512, Level = LogLevel.Warning, Message = "Waiting for the etcd cluster (attempt {Attempt}, {Remaining} s left): {Failures}")]
        public static partial void Waiting(ILogger logger, int attempt, int remaining, string failures);

        [LoggerMessage(EventId = 4513, Level = LogLevel.Debug, Message = "etcd {What} failed on {Endpoint}, trying the next member: {Error}")]
        public static partial void TryingNextMember(ILogger logger, string what, string endpoint, string error);

        [LoggerMessage(EventId = 4514, Level = LogLevel.Warning, Message = "The etcd cluster does not answer: {Error}; the API server reports not ready until it does")]
        public static partial void ClusterFails(ILogger logger, string error);

        [LoggerMessage(EventId = 4515, Level = LogLevel.Information, Message = "The etcd cluster {Endpoints} answers again at revision {Revision}")]
        public static partial void ClusterAnswers(ILogger logger, string endpoints, long revision);

        [LoggerMessage(EventId = 4517, Level = LogLevel.Information, Message = "The etcd cluster's voting members changed: datastore endpoints -> [{Endpoints}]")]
        public static partial void EndpointsChanged(ILogger logger, string endpoints);

        [LoggerMessage(EventId = 4516, Level = LogLevel.Debug, Message = "An etcd watch on {Endpoint} broke ({Error}); resuming at revision {Revision} on the next member")]
        public static partial void WatchResuming(ILogger logger, string endpoint, long revision, string error);
    }
}
