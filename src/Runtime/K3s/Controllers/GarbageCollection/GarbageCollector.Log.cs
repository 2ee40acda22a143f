namespace K3sLab.K3s.Controllers.GarbageCollection;

/// <summary>The garbage collector's log messages (event ids 4320-4339).</summary>
internal sealed partial class GarbageCollector
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4320, Level = LogLevel.Information, Message = "Deleting {Key} (propagation {Policy}): its owners are gone or being deleted in the foreground")]
        public static partial void Deleting(ILogger logger, string key, string policy);

        [LoggerMessage(EventId = 4321, Level = LogLevel.Information, Message = "Dropping owner references {Uids} from {Key}: those owners are gone or being deleted, another owner remains")]
        public static partial void Dropping(ILogger logger, string key, string uids);

        [LoggerMessage(EventId = 4322, Level = LogLevel.Information, Message = "Orphaned {Count} dependents of {Key}")]
        public static partial void Orphaned(ILogger logger, string key, int count);

        [LoggerMessage(EventId = 4323, Level = LogLevel.Information, Message = "Removing the {Finalizer} finalizer from {Key}: its dependents are dealt with")]
        public static partial void Finished(ILogger logger, string key, string finalizer);

        [LoggerMessage(EventId = 4324, Level = LogLevel.Warning, Message = "Leaving {Key} alone: {Why}")]
        public static partial void Leaving(ILogger logger, string key, string why);

        [LoggerMessage(EventId = 4325, Level = LogLevel.Information, Message = "Clearing blockOwnerDeletion on {Key}: it and one of its dependents wait for each other (an ownership cycle)")]
        public static partial void Unblocking(ILogger logger, string key);
    }
}
