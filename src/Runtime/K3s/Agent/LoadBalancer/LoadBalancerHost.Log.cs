using System.Net;
using System.Net.Sockets;

namespace K3sLab.K3s.Agent.LoadBalancer;

internal sealed partial class LoadBalancerHost
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 6440, Level = LogLevel.Information, Message = "{Transition}")]
        public static partial void Transition(ILogger logger, ServerTransition transition);

        [LoggerMessage(EventId = 6441, Level = LogLevel.Information, Message = "Running load balancer {Service} {Listen} -> [{Servers}] [default: {Default}]")]
        public static partial void Running(ILogger logger, string service, IPEndPoint listen, string servers, string @default);

        [LoggerMessage(EventId = 6442, Level = LogLevel.Warning, Message = "Load balancer {Service}: {Reason}")]
        public static partial void StateFileIgnored(ILogger logger, string service, string reason);

        [LoggerMessage(EventId = 6443, Level = LogLevel.Information, Message = "Updated load balancer {Service} server addresses -> [{Servers}] [default: {Default}]")]
        public static partial void ServersUpdated(ILogger logger, string service, string servers, string @default);

        [LoggerMessage(EventId = 6444, Level = LogLevel.Information, Message = "Updated load balancer {Service} default server -> {Default}")]
        public static partial void DefaultUpdated(ILogger logger, string service, string @default);

        [LoggerMessage(EventId = 6445, Level = LogLevel.Information, Message = "Load balancer {Service} ignores an empty server list and keeps the current one")]
        public static partial void EmptyListIgnored(ILogger logger, string service);

        [LoggerMessage(EventId = 6446, Level = LogLevel.Warning, Message = "Could not save the load balancer server list to {Path}: {Reason}. The balancer carries on; after a restart it relearns the list from the server")]
        public static partial void SaveFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 6447, Level = LogLevel.Warning, Message = "Dial error from load balancer {Service}: all servers failed (tried {Servers}); the client's connection is closed and it must retry")]
        public static partial void AllServersFailed(ILogger logger, string service, string servers);

        [LoggerMessage(EventId = 6448, Level = LogLevel.Debug, Message = "Dial to {Address} failed: {Reason}")]
        public static partial void DialFailed(ILogger logger, string address, string reason);

        [LoggerMessage(EventId = 6449, Level = LogLevel.Information, Message = "Closing {Count} connections to {Servers} so their clients reconnect")]
        public static partial void ClosingConnections(ILogger logger, int count, string servers);

        [LoggerMessage(EventId = 6450, Level = LogLevel.Debug, Message = "Health check of {Address} failed: {Error}: {Message}")]
        public static partial void HealthCheckError(ILogger logger, string address, string error, string message);

        [LoggerMessage(EventId = 6451, Level = LogLevel.Warning, Message = "Load balancer {Service} could not accept a connection ({Error}); retrying")]
        public static partial void AcceptFailed(ILogger logger, string service, SocketError error);
    }
}
