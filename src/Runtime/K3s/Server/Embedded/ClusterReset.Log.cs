namespace K3sLab.K3s.Server.Embedded;

internal static partial class ClusterReset
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "Resetting the embedded datastore in {Member}: keeping its data, forgetting every other member")]
        public static partial void Resetting(ILogger logger, string member);

        [LoggerMessage(EventId = 1211, Level = LogLevel.Information, Message = "Restoring the embedded datastore from snapshot {Path} (revision {Revision})")]
        public static partial void Restoring(ILogger logger, string path, long revision);

        [LoggerMessage(EventId = 1212, Level = LogLevel.Information, Message = "Moved the old datastore {From} to {To}")]
        public static partial void MovedAside(ILogger logger, string from, string to);

        [LoggerMessage(EventId = 1213, Level = LogLevel.Information, Message = "Member {Name} ({Member:x16}) is now the only member of cluster {Cluster:x16}, at revision {Revision}")]
        public static partial void Rebuilt(ILogger logger, string name, ulong member, ulong cluster, long revision);

        [LoggerMessage(EventId = 1214, Level = LogLevel.Information, Message = "{Message}")]
        public static partial void Done(ILogger logger, string message);
    }
}
