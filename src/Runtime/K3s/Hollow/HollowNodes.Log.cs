namespace K3sLab.K3s.Hollow;

internal sealed partial class HollowNodes
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 7400, Level = LogLevel.Information, Message = "Starting {Count} hollow nodes against {Server}, data in {Root}")]
        public static partial void Starting(ILogger logger, int count, string server, string root);

        [LoggerMessage(EventId = 7401, Level = LogLevel.Information, Message = "{Count} hollow nodes joined in {Seconds:0.0}s; process RSS {RssMiB} MiB, {PerNodeKiB} KiB per hollow node")]
        public static partial void Joined(ILogger logger, int count, double seconds, long rssMiB, long perNodeKiB);

        [LoggerMessage(EventId = 7402, Level = LogLevel.Information, Message = "Waiting to join: {Reason}")]
        public static partial void Waiting(ILogger logger, string reason);

        [LoggerMessage(EventId = 7403, Level = LogLevel.Information, Message = "Stopping the hollow nodes")]
        public static partial void Stopping(ILogger logger);
    }
}
