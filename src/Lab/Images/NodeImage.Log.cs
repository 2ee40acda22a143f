using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Images;

public sealed partial class NodeImage
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "node image: reusing {Image}")]
        public static partial void Reused(ILogger logger, string image);

        [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "node image: built and checked {Image} ({Version})")]
        public static partial void Built(ILogger logger, string image, string version);

        [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "node image: removed unused older image {Image}")]
        public static partial void Pruned(ILogger logger, string image);

        [LoggerMessage(EventId = 9303, Level = LogLevel.Information, Message = "node image: Docker did not answer the removal of {Image} in time; older images are pruned on the next build")]
        public static partial void PruneTimedOut(ILogger logger, string image);
    }
}
