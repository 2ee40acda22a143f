namespace K3sLab.K3s.Controllers.NodeLifecycle;

/// <summary>The node lifecycle controller's log messages (event ids 4310-4319; 4300-4301 are the cluster join's).</summary>
internal sealed partial class NodeLifecycleController
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4310, Level = LogLevel.Information, Message = "Node {Node} has not been heard from for {Seconds:F1} s: its conditions are now Unknown")]
        public static partial void Unknown(ILogger logger, string node, double seconds);

        [LoggerMessage(EventId = 4311, Level = LogLevel.Information, Message = "Node {Node} taints are now [{Taints}]")]
        public static partial void Tainted(ILogger logger, string node, string taints);

        [LoggerMessage(EventId = 4312, Level = LogLevel.Information, Message = "Evicting pod {Pod} from node {Node}: it does not tolerate the node's NoExecute taints (any longer)")]
        public static partial void Evicting(ILogger logger, string pod, string node);

        [LoggerMessage(EventId = 4313, Level = LogLevel.Information, Message = "Force-deleting pod {Pod}: {Why}")]
        public static partial void ForceDeleting(ILogger logger, string pod, string why);
    }
}
