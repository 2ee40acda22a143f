using Microsoft.Extensions.Logging;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>The runner's progress lines.</summary>
public sealed partial class ScenarioRunner
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 9200, Level = LogLevel.Information, Message = "step {Index}: {Step}")]
        public static partial void Step(ILogger logger, int index, string step);

        [LoggerMessage(EventId = 9201, Level = LogLevel.Warning, Message = "step {Index} failed: {Reason}")]
        public static partial void StepFailed(ILogger logger, int index, string reason);

        [LoggerMessage(EventId = 9202, Level = LogLevel.Information, Message = "{Verdict}")]
        public static partial void Verdict(ILogger logger, string verdict);
    }
}
