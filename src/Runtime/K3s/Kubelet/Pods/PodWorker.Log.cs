namespace K3sLab.K3s.Kubelet.Pods;

internal sealed partial class PodWorker
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 7120, Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: container {Container} started as {ContainerId}")]
        public static partial void Started(ILogger logger, string @namespace, string pod, string container, string containerId);

        [LoggerMessage(EventId = 7121, Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: container {Container} exited with code {ExitCode}")]
        public static partial void Exited(ILogger logger, string @namespace, string pod, string container, int exitCode);

        [LoggerMessage(EventId = 7122, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: container {Container} could not start: {Error}")]
        public static partial void StartFailed(ILogger logger, string @namespace, string pod, string container, string error);

        [LoggerMessage(EventId = 7123, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: container {Container} cannot be created: {Error}")]
        public static partial void CreateFailed(ILogger logger, string @namespace, string pod, string container, string error);

        [LoggerMessage(EventId = 7124, Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: stopping its containers with a {Grace}s grace period")]
        public static partial void Terminating(ILogger logger, string @namespace, string pod, int grace);

        [LoggerMessage(EventId = 7125, Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: container {Container} stopped with code {ExitCode}")]
        public static partial void Stopped(ILogger logger, string @namespace, string pod, string container, int exitCode);

        [LoggerMessage(EventId = 7126, Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: deleted after its containers stopped")]
        public static partial void Deleted(ILogger logger, string @namespace, string pod);

        [LoggerMessage(EventId = 7127, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: status or delete failed, retrying: {Error}")]
        public static partial void StatusFailed(ILogger logger, string @namespace, string pod, string error);

        [LoggerMessage(EventId = 7129, Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: container {Container} failed its liveness probe and will be restarted")]
        public static partial void LivenessFailed(ILogger logger, string @namespace, string pod, string container);

        [LoggerMessage(EventId = 7130, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: {Error}; retrying in 5s")]
        public static partial void VolumeFailed(ILogger logger, string @namespace, string pod, string error);

        [LoggerMessage(EventId = 7131, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: container {Container}: {Skipped}")]
        public static partial void EnvKeysSkipped(ILogger logger, string @namespace, string pod, string container, string skipped);

        [LoggerMessage(EventId = 7132, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: writing its volumes again failed, the old files stay until the next round: {Error}")]
        public static partial void RenewFailed(ILogger logger, string @namespace, string pod, string error);

        [LoggerMessage(EventId = 7133, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: {Reason}: {Message}")]
        public static partial void DnsWarning(ILogger logger, string @namespace, string pod, string reason, string message);

        [LoggerMessage(EventId = 7134, Level = LogLevel.Warning, Message = "Pods keep the node's resolv.conf: their cluster DNS resolv.conf is mounted in a mount namespace of the container's own, and this node cannot make one ({Refusal}); a node that is itself a container needs CAP_SYS_ADMIN")]
        public static partial void ResolvConfNotMounted(ILogger logger, string refusal);

        [LoggerMessage(EventId = 7135, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: writing its resolv.conf {File} failed, its containers keep the node's: {Error}")]
        public static partial void ResolvConfFailed(ILogger logger, string @namespace, string pod, string file, string error);

        [LoggerMessage(EventId = 7136, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: the node's resolv.conf {File} cannot be read, taken as empty: {Error}")]
        public static partial void NodeResolvConfUnreadable(ILogger logger, string @namespace, string pod, string file, string error);

        [LoggerMessage(EventId = 7128, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: stopped {Count} container process(es) an earlier kubelet left running; starting the pod again")]
        public static partial void StoppedLeftovers(ILogger logger, string @namespace, string pod, int count);
    }
}
