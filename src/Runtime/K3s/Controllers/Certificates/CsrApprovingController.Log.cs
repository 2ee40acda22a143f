namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>The approving controller's log lines (event ids 4905-4909).</summary>
internal sealed partial class CsrApprovingController
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4905, Level = LogLevel.Information, Message = "csrapproving {Name}: auto-approved as {Subresource} for {User} after a SubjectAccessReview")]
        public static partial void Approved(ILogger logger, string name, string subresource, string user);
    }
}
