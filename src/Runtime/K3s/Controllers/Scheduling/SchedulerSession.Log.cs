namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>The scheduler's log messages (EventIds 4100-4149).</summary>
internal sealed partial class SchedulerSession
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4100, Level = LogLevel.Debug, Message = "Bound pod {Pod} to node {Node}")]
        public static partial void Bound(ILogger logger, string pod, string node);

        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Unable to schedule pod {Pod}: {Reason}")]
        public static partial void Unschedulable(ILogger logger, string pod, string reason);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Binding pod {Pod} to node {Node} failed, retrying it: {Error}")]
        public static partial void BindFailed(ILogger logger, string pod, string node, string error);

        [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "Setting the PodScheduled condition of {Pod} failed: {Error}")]
        public static partial void ReportFailed(ILogger logger, string pod, string error);
    }
}
