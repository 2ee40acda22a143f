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

        [LoggerMessage(EventId = 4503, Level = LogLevel.Information, Message = "Exec in {Namespace}/{Pod} container {Container}: pid {Pid}")]
        public static partial void Exec(ILogger logger, string @namespace, string pod, string container, int pid);

        [LoggerMessage(EventId = 4507, Level = LogLevel.Information, Message = "Exec in {Namespace}/{Pod} container {Container}: pid {Pid} exited with code {Code}; its output {Output}")]
        public static partial void ExecEnded(ILogger logger, string @namespace, string pod, string container, int pid, int code, string output);

        [LoggerMessage(EventId = 4504, Level = LogLevel.Information, Message = "Exec in {Namespace}/{Pod} container {Container} could not start: {Error}")]
        public static partial void ExecFailed(ILogger logger, string @namespace, string pod, string container, string error);

        [LoggerMessage(EventId = 4505, Level = LogLevel.Debug, Message = "Port-forward to {Namespace}/{Pod} port {Port}")]
        public static partial void PortForward(ILogger logger, string @namespace, string pod, int port);

        [LoggerMessage(EventId = 4506, Level = LogLevel.Information, Message = "Port-forward to {Namespace}/{Pod} failed: {Error}")]
        public static partial void PortForwardFailed(ILogger logger, string @namespace, string pod, string error);
    }
}
