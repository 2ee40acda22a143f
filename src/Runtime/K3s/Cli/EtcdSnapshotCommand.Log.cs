namespace K3sLab.K3s.Cli;

internal static partial class EtcdSnapshotCommand
{
    [LoggerMessage(EventId = 360, Level = LogLevel.Information, Message = "Snapshot {Name} saved.")]
    private static partial void LogSaved(ILogger logger, string name);

    [LoggerMessage(EventId = 361, Level = LogLevel.Information, Message = "Snapshot {Name} deleted.")]
    private static partial void LogDeleted(ILogger logger, string name);

    [LoggerMessage(EventId = 362, Level = LogLevel.Warning, Message = "Snapshot {Name} not found.")]
    private static partial void LogNotFound(ILogger logger, string name);
}
