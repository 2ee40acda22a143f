using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// kube-controller-manager's <c>csrsigning</c> controllers: the IO around <see cref="CsrSigner"/>. Every change to a
/// CertificateSigningRequest queues it; the decision's object (the certificate, or a <c>Failed</c> condition) is
/// written with <c>PUT .../certificatesigningrequests/&lt;name&gt;/status</c> at the cached resourceVersion, so a
/// request approved, denied or signed meanwhile is a conflict to retry. Keys back off as upstream's certificate
/// controllers do (200 ms doubling to 1000 s).
/// </summary>
internal sealed partial class CsrSigningController(IReadOnlyDictionary<string, X509Certificate2> authorities, TimeSpan maxDuration) : IController
{
    public string Name => "csrsigning";

    /// <summary>
    /// The signers as k3s configures them: <c>kube-apiserver-client</c> and <c>kube-apiserver-client-kubelet</c> with
    /// the client CA, <c>kubelet-serving</c> and <c>legacy-unknown</c> with the server CA.
    /// </summary>
    public static CsrSigningController ForK3s(CertificateAuthority clientCa, CertificateAuthority serverCa, TimeSpan maxDuration) =>
        new(
            new Dictionary<string, X509Certificate2>(StringComparer.Ordinal)
            {
                [SignerChecks.KubeApiServerClient] = clientCa.Certificate,
                [SignerChecks.KubeletClient] = clientCa.Certificate,
                [SignerChecks.KubeletServing] = serverCa.Certificate,
                [SignerChecks.LegacyUnknown] = serverCa.Certificate,
            },
            maxDuration);

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = CsrQueues.Create(context.Time);
        var requests = await context.Caches.GetAsync(ApiPaths.CertificateSigningRequests, ct);
        using var onRequest = requests.Subscribe((_, after) =>
        {
            if (after is not null)
            {
                queue.Add(ObjectKeys.Of(after));
            }
        });

        var logger = context.Loggers.CreateLogger("k3s.controllers.csrsigning");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, requests, logger, key, token), 1, logger, ct);
    }

    private async Task ReconcileAsync(ControllerContext context, SharedCache requests, ILogger logger, string key, CancellationToken ct)
    {
        if (!requests.Items.TryGetValue(ObjectKeys.CacheKey(string.Empty, key), out var csr))
        {
            return;
        }

        var decision = CsrSigner.Decide(csr, authorities, maxDuration, context.Time.GetUtcNow());
        switch (decision.Outcome)
        {
            case SigningOutcome.Retry:
                throw new RetryLaterException(decision.Message);
            case SigningOutcome.Issue or SigningOutcome.Fail:
                await context.Api.PutAsync(ApiPaths.For(ApiPaths.CertificateSigningRequests, string.Empty, key, "status"), decision.Update!, ct);
                if (decision.Outcome == SigningOutcome.Issue)
                {
                    Log.Issued(logger, key, CsrFields.SignerName(csr));
                }
                else
                {
                    Log.ValidationFailed(logger, key, CsrFields.SignerName(csr), decision.Message);
                }

                break;
        }
    }
}
