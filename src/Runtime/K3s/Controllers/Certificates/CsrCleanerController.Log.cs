namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>The cleaner's log lines (event ids 4910-4914).</summary>
internal sealed partial class CsrCleanerController
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4910, Level = LogLevel.Information, Message = "csrcleaner: deleted CSR {Name} as {Reason}")]
        public static partial void Deleted(ILogger logger, string name, string reason);

        [LoggerMessage(EventId = 4911, Level = LogLevel.Warning, Message = "csrcleaner: deleting CSR {Name} failed, trying again at the next poll: {Error}")]
        public static partial void DeleteFailed(ILogger logger, string name, string error);
    }
}
