namespace K3sLab.K3s.Replication.Storage;

internal sealed partial class SnapshotStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2120, Level = LogLevel.Information, Message = "Saved snapshot {Path} ({Bytes} bytes)")]
        public static partial void Saved(ILogger logger, string path, long bytes);

        [LoggerMessage(EventId = 2121, Level = LogLevel.Warning, Message = "Snapshot {Path} is damaged ({Problem}); renamed it to *.broken and trying an older one")]
        public static partial void Damaged(ILogger logger, string path, string problem);

        [LoggerMessage(EventId = 2122, Level = LogLevel.Information, Message = "Ignoring snapshot {Path}: the WAL does not name it or does not reach back to it")]
        public static partial void NotReferenced(ILogger logger, string path);
    }
}
