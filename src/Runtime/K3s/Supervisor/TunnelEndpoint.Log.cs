namespace K3sLab.K3s.Supervisor;

internal static partial class TunnelEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3300, Level = LogLevel.Information, Message = "Tunnel connected for node {Node} from {Remote}")]
        public static partial void Connected(ILogger logger, string node, string remote);

        [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Tunnel for node {Node} closed")]
        public static partial void Disconnected(ILogger logger, string node);
    }
}
