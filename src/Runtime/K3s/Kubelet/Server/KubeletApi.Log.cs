namespace K3sLab.K3s.Kubelet.Server;

internal sealed partial class KubeletApi
{
    /// <summary>Logs that the API could not bind its endpoint.</summary>
    public static void LogListenFailed(ILogger logger, string endpoint, string reason) => Log.ListenFailed(logger, endpoint, reason);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4500, Level = LogLevel.Information, Message = "Kubelet API listening on https://{Endpoint}")]
        public static partial void Listening(ILogger logger, string endpoint);

        [LoggerMessage(EventId = 4501, Level = LogLevel.Information, Message = "Kubelet API refused {User} for {Path}: only the API server's kubelet client may use it")]
        public static partial void Forbidden(ILogger logger, string user, string path);

        [LoggerMessage(EventId = 4502, Level = LogLevel.Error, Message = "The kubelet API cannot listen on {Endpoint}: {Reason}; kubectl logs will not reach this node (choose another with --kubelet-arg=address= or port=)")]
        public static partial void ListenFailed(ILogger logger, string endpoint, string reason);
    }
}
