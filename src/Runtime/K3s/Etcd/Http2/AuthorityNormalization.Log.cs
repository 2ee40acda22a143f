namespace K3sLab.K3s.Etcd.Http2;

internal static partial class AuthorityNormalization
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: the client's HTTP/2 frames pass through unchanged from here on: {Reason}")]
        public static partial void PassingThrough(ILogger logger, string connectionId, string reason);
    }
}
