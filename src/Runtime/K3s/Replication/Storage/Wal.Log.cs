using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.Storage;

internal sealed partial class Wal
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Created the Raft WAL in {Directory} for member {MemberId:x} of cluster {ClusterId:x}")]
        public static partial void Created(ILogger logger, string directory, ulong memberId, ulong clusterId);

        [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Opened the Raft WAL in {Directory}: {Segments} segments, snapshot at {SnapshotIndex}, last index {LastIndex}")]
        public static partial void Opened(ILogger logger, string directory, int segments, ulong snapshotIndex, ulong lastIndex);

        [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Started WAL segment {Segment} at index {FirstIndex}")]
        public static partial void Rolled(ILogger logger, string segment, ulong firstIndex);

        [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Released {Count} WAL segments older than snapshot index {Index}")]
        public static partial void Released(ILogger logger, int count, ulong index);

        [LoggerMessage(EventId = 2104, Level = LogLevel.Error, Message = "Writing the Raft WAL in {Directory} failed ({Error}); it accepts no more writes until reopened")]
        public static partial void WriteFailed(ILogger logger, Exception exception, string directory, StoreError error);

        [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "Could not cut the failed batch off the WAL segment in {Directory}; recovery will cut it as a torn tail")]
        public static partial void CutBackFailed(ILogger logger, Exception exception, string directory);
    }
}
