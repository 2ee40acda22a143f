using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Images;

public sealed partial class RuntimeArtifact
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "runtime: {Path} is up to date (content {Hash})")]
        public static partial void UpToDate(ILogger logger, string path, string hash);

        [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "runtime: publishing src/Runtime/K3s with NativeAOT (about a minute on 2 cores)")]
        public static partial void Publishing(ILogger logger);

        [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "runtime: published {Path} ({SizeMiB:0.0} MiB, content {Hash})")]
        public static partial void Published(ILogger logger, string path, double sizeMiB, string hash);
    }
}
