namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>The signing controller's log lines (event ids 4900-4904).</summary>
internal sealed partial class CsrSigningController
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4900, Level = LogLevel.Information, Message = "csrsigning {Name}: issued a certificate from signer {Signer}")]
        public static partial void Issued(ILogger logger, string name, string signer);

        [LoggerMessage(EventId = 4901, Level = LogLevel.Information, Message = "csrsigning {Name}: the request fails signer {Signer}'s checks ({Problem}); marked Failed")]
        public static partial void ValidationFailed(ILogger logger, string name, string signer, string problem);
    }
}
