namespace K3sLab.K3s.Server.Snapshots;

internal sealed partial class ScheduledSnapshots
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Scheduled datastore snapshots: cron \"{Cron}\", folder {Folder}, retention {Retention}")]
        public static partial void Scheduled(ILogger logger, string cron, string folder, int retention);

        [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Snapshot {Name} saved in {Folder}")]
        public static partial void Saved(ILogger logger, string name, string folder);

        [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Snapshot {Name} deleted by retention")]
        public static partial void Pruned(ILogger logger, string name);

        [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "Scheduled snapshot failed: {Reason}; the next scheduled one is still taken")]
        public static partial void Failed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "Cron \"{Cron}\" names no time in the next 5 years; no scheduled snapshots")]
        public static partial void NeverDue(ILogger logger, string cron);
    }
}
