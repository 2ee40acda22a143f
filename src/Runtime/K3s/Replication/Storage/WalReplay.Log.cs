namespace K3sLab.K3s.Replication.Storage;

internal sealed partial class WalReplay
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Cut a torn tail off {File} at byte offset {Offset} (record {Record}, {Bytes} bytes: {Problem}); it was never fsynced, so never acknowledged")]
        public static partial void TornTail(ILogger logger, string file, long offset, long record, long bytes, string problem);

        [LoggerMessage(EventId = 2111, Level = LogLevel.Warning, Message = "Removed {File}, a WAL segment a crash left unfinished")]
        public static partial void RemovedUnfinishedSegment(ILogger logger, string file);
    }
}
