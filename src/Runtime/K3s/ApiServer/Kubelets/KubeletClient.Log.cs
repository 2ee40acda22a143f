namespace K3sLab.K3s.ApiServer.Kubelets;

internal sealed partial class KubeletClient
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3400, Level = LogLevel.Debug, Message = "Dialing the kubelet of node {Node} through its tunnel")]
        public static partial void ThroughTunnel(ILogger logger, string node);

        [LoggerMessage(EventId = 3401, Level = LogLevel.Debug, Message = "Dialing the kubelet of node {Node} directly at {Endpoint}")]
        public static partial void Direct(ILogger logger, string node, string endpoint);

        [LoggerMessage(EventId = 3402, Level = LogLevel.Information, Message = "The tunnel of node {Node} could not reach its kubelet ({Reason}); dialing it directly")]
        public static partial void TunnelFailed(ILogger logger, string node, string reason);
    }
}
