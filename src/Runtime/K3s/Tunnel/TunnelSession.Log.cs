namespace K3sLab.K3s.Tunnel;

internal sealed partial class TunnelSession
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3200, Level = LogLevel.Warning, Message = "Tunnel protocol error, closing the tunnel: {Reason}")]
        public static partial void ProtocolError(ILogger logger, string reason);

        [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Tunnel stream {Id} sent past its flow-control window; resetting it")]
        public static partial void WindowExceeded(ILogger logger, uint id);

        [LoggerMessage(EventId = 3202, Level = LogLevel.Debug, Message = "Tunnel stream to {Target} could not be dialed: {Reason}")]
        public static partial void DialFailed(ILogger logger, string target, string reason);
    }
}
