namespace K3sLab.K3s.Replication.Host;

internal sealed partial class RaftHost
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, Level = LogLevel.Critical, Message = "Member {Member:x16} stopped: it can no longer persist or apply the log")]
        public static partial void Fatal(ILogger logger, Exception exception, ulong member);

        [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Member {Member:x16} sees leader {Leader:x16} at term {Term}")]
        public static partial void LeaderChanged(ILogger logger, ulong member, ulong leader, ulong term);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Restored the state from a snapshot at index {Index} (term {Term})")]
        public static partial void SnapshotRestored(ILogger logger, ulong index, ulong term);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Wrote the snapshot at index {Index} ({Bytes} bytes) and released the WAL segments it makes unneeded")]
        public static partial void SnapshotTaken(ILogger logger, ulong index, long bytes);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Applied membership change at index {Index}: {Change} {Member:x16}; voters [{Voters}], learners [{Learners}]")]
        public static partial void MembershipChanged(ILogger logger, ulong index, string change, ulong member, string voters, string learners);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Member {Member:x16} was removed from the cluster; it no longer takes part")]
        public static partial void Removed(ILogger logger, ulong member);

        [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Could not publish this member's name yet: {Reason}")]
        public static partial void PublishFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Promoting learner {Member:x16}: it has caught up with the leader")]
        public static partial void Promoting(ILogger logger, ulong member);

        [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Handling one Ready took {Milliseconds:0} ms ({PersistMilliseconds:0} ms persisting and sending; {Entries} new entries, {Committed} committed, {Messages} messages): the disk or the CPU is too slow, and a slow loop delays heartbeats")]
        public static partial void SlowReady(ILogger logger, double milliseconds, double persistMilliseconds, int entries, int committed, int messages);

        [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Applied peer URL change at index {Index}: member {Member:x16} moved from {Before} to {After}")]
        public static partial void PeerUrlsChanged(ILogger logger, ulong index, ulong member, string before, string after);

        [LoggerMessage(EventId = 4013, Level = LogLevel.Information, Message = "Writing a snapshot at index {Index} ({Bytes} bytes) in the background")]
        public static partial void SnapshotStarted(ILogger logger, ulong index, long bytes);

        [LoggerMessage(EventId = 4012, Level = LogLevel.Information, Message = "Stopped writing this member's snapshot at index {Index}: the member is stopping, or a snapshot from the leader replaces it")]
        public static partial void SnapshotAbandoned(ILogger logger, ulong index);
    }
}
