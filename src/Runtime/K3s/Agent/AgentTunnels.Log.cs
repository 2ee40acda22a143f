namespace K3sLab.K3s.Agent;

internal sealed partial class AgentTunnels
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3210, Level = LogLevel.Information, Message = "Connecting to proxy url=\"{Url}\"")]
        public static partial void Connecting(ILogger logger, string url);

        [LoggerMessage(EventId = 3211, Level = LogLevel.Information, Message = "Remotedialer connected to proxy url=\"{Url}\"")]
        public static partial void Connected(ILogger logger, string url);

        [LoggerMessage(EventId = 3212, Level = LogLevel.Warning, Message = "Remotedialer proxy error; reconnecting... url=\"{Url}\" error=\"{Reason}\"")]
        public static partial void Failed(ILogger logger, string url, string reason);

        [LoggerMessage(EventId = 3213, Level = LogLevel.Information, Message = "Stopped tunnel to removed server {Address}")]
        public static partial void Stopped(ILogger logger, string address);
    }
}
