namespace K3sLab.K3s.Controllers.Election;

internal sealed partial class LeaderElector
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "successfully acquired lease kube-system/{Name} as {Identity}")]
        public static partial void Acquired(ILogger logger, string name, string identity);

        [LoggerMessage(EventId = 4021, Level = LogLevel.Warning, Message = "leader election lost for kube-system/{Name}: its controllers stopped; campaigning again")]
        public static partial void Lost(ILogger logger, string name);

        [LoggerMessage(EventId = 4022, Level = LogLevel.Information, Message = "released lease kube-system/{Name}")]
        public static partial void Released(ILogger logger, string name);

        [LoggerMessage(EventId = 4023, Level = LogLevel.Debug, Message = "leader election for kube-system/{Name}: {Reason}")]
        public static partial void AttemptFailed(ILogger logger, string name, string reason);
    }
}
