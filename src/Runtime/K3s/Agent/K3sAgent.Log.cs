namespace K3sLab.K3s.Agent;

internal sealed partial class K3sAgent
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Starting k3s agent {Version} with data dir {DataDir}, joining {Server} as node {Node}")]
        public static partial void Starting(ILogger logger, string version, string dataDir, string server, string node);

        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Waiting to retrieve agent configuration; server is not ready: {Reason}")]
        public static partial void Waiting(ILogger logger, string reason);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "{Reason}")]
        public static partial void PasswordRejected(ILogger logger, string reason);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Cluster CA certificate is not trusted by the host CA bundle, but the token does not include a CA hash. Use the full token from the server's node-token file to enable Cluster CA validation.")]
        public static partial void ShortToken(ILogger logger);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Retrieved kubelet certificates for node {Node} from the cluster; API servers: {Servers}")]
        public static partial void Joined(ILogger logger, string node, string servers);

        [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Starting the kubelet for node {Node} through the load balancer at {LoadBalancer}")]
        public static partial void StartingKubelet(ILogger logger, string node, string loadBalancer);

        [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Shutting down the agent; pods keep running")]
        public static partial void Stopping(ILogger logger);

        [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "PLANTED BUG ACTIVE: {Bug} ({Variable} is set; this agent is deliberately broken for a test)")]
        public static partial void PlantedBug(ILogger logger, string bug, string variable);
    }
}
