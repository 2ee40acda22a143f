using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Engine;

public sealed partial class DockerEngine
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "docker engine: reachable at {Endpoint} (version {Version})")]
        public static partial void EngineReachable(ILogger logger, Uri endpoint, string version);

        [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "docker engine: none running and dockerd not installed; installing Debian's docker.io with apt-get")]
        public static partial void Installing(ILogger logger);

        [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "docker engine: installed {Path}")]
        public static partial void Installed(ILogger logger, string path);

        [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "docker engine: starting dockerd in the background (log: {LogPath})")]
        public static partial void Starting(ILogger logger, string logPath);

        [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "docker engine: dockerd (pid {Pid}) answers, version {Version}")]
        public static partial void Started(ILogger logger, int pid, string version);
    }
}
