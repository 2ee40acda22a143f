namespace K3sLab.K3s.Proxy;

internal sealed partial class ServiceProxy
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 7600, Level = LogLevel.Information, Message = "Starting the service proxy (iptables mode)")]
        public static partial void Starting(ILogger logger);

        [LoggerMessage(EventId = 7601, Level = LogLevel.Warning, Message = "The service proxy is off on this node: {Why}; cluster IPs and node ports will not be reachable from it (install iptables, or pass --disable-kube-proxy to say so)")]
        public static partial void NoIptables(ILogger logger, string why);

        [LoggerMessage(EventId = 7602, Level = LogLevel.Debug, Message = "Service proxy rules written: {Ports} service ports, {Endpoints} endpoints, in {Milliseconds:0.0} ms")]
        public static partial void Synced(ILogger logger, int ports, int endpoints, double milliseconds);

        [LoggerMessage(EventId = 7603, Level = LogLevel.Error, Message = "Writing the service proxy's rules failed, retrying at the next sync: {Error}")]
        public static partial void SyncFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 7604, Level = LogLevel.Warning, Message = "The service proxy's watch failed, retrying: {Error}")]
        public static partial void WatchFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 7605, Level = LogLevel.Information, Message = "Cleared {Entries} UDP connection-tracking entries for {Flow}: the endpoint left the Service")]
        public static partial void FlowsCleared(ILogger logger, int entries, string flow);

        [LoggerMessage(EventId = 7606, Level = LogLevel.Warning, Message = "Could not clear the UDP connection-tracking entries for {Flow}: {Error}")]
        public static partial void FlowsNotCleared(ILogger logger, string flow, string error);

        [LoggerMessage(EventId = 7607, Level = LogLevel.Warning, Message = "This node has no conntrack tool ({Path}): UDP flows to an endpoint that left a Service (a dead server's DNS) keep going there until their entries time out (30-120 s); install conntrack")]
        public static partial void NoConntrack(ILogger logger, string path);
    }
}
