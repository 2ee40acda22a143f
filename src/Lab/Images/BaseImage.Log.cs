using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Images;

public sealed partial class BaseImage
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "base image: reusing {Image} ({Recipe})")]
        public static partial void Reused(ILogger logger, string image, string recipe);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "base image: building from {Recipe} (a few minutes, once)")]
        public static partial void Bootstrapping(ILogger logger, string recipe);

        [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "base image: built and checked {Image} ({SizeMiB:0} MiB root file system)")]
        public static partial void Built(ILogger logger, string image, double sizeMiB);
    }
}
