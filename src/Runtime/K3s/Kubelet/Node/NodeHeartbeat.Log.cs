namespace K3sLab.K3s.Kubelet.Node;

internal sealed partial class NodeHeartbeat
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "Registered node {Node}")]
        public static partial void Registered(ILogger logger, string node);

        [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Node {Node} already exists; updated its labels and taints")]
        public static partial void Reregistered(ILogger logger, string node);

        [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "Failed to {What}; retrying: {Error}")]
        public static partial void WriteFailed(ILogger logger, string what, string error);
    }
}
