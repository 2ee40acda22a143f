namespace K3sLab.K3s.ClusterDns;

internal sealed partial class DnsServer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 7700, Level = LogLevel.Information, Message = "Cluster DNS listening on {Endpoint} (UDP and TCP); other names go to {Upstreams}")]
        public static partial void Listening(ILogger logger, string endpoint, string upstreams);

        [LoggerMessage(EventId = 7701, Level = LogLevel.Debug, Message = "Forwarding a query to {Upstream} failed: {Error}")]
        public static partial void ForwardFailed(ILogger logger, string upstream, string error);

        [LoggerMessage(EventId = 7702, Level = LogLevel.Warning, Message = "A name outside the cluster was asked and there is no upstream DNS server to forward it to (no nameserver in the server's /etc/resolv.conf besides the cluster DNS): answered SERVFAIL")]
        public static partial void NoUpstream(ILogger logger);
    }
}
