using System.Security.Cryptography;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// kube-controller-manager's <c>csrapproving</c> controller: the IO around <see cref="NodeClientApproval"/>. For a
/// pending kubelet client request it posts a SubjectAccessReview of the requester per recognizer, in order, to
/// <c>/apis/authorization.k8s.io/v1/subjectaccessreviews</c>; the first allowed one approves the request with
/// <c>PUT .../certificatesigningrequests/&lt;name&gt;/approval</c> at the cached resourceVersion. A request recognized
/// but allowed by no review is retried with backoff (RBAC may change), as upstream does.
/// </summary>
internal sealed partial class CsrApprovingController : IController
{
    private const string ReviewsPath = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

    public string Name => "csrapproving";

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

        var logger = context.Loggers.CreateLogger("k3s.controllers.csrapproving");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, requests, logger, key, token), 1, logger, ct);
    }

    private static async Task ReconcileAsync(ControllerContext context, SharedCache requests, ILogger logger, string key, CancellationToken ct)
    {
        if (!requests.Items.TryGetValue(ObjectKeys.CacheKey(string.Empty, key), out var csr))
        {
            return;
        }

        IReadOnlyList<NodeClientRecognizer> recognizers;
        try
        {
            recognizers = NodeClientApproval.Recognize(csr);
        }
        catch (CryptographicException e)
        {
            throw new RetryLaterException(e.Message, e);
        }

        foreach (var recognizer in recognizers)
        {
            var review = await context.Api.CreateAsync(ReviewsPath, NodeClientApproval.Review(csr, recognizer), ct);
            if (NodeClientApproval.Allowed(review))
            {
                var approved = NodeClientApproval.Approve(csr, recognizer, context.Time.GetUtcNow());
                await context.Api.PutAsync(ApiPaths.For(ApiPaths.CertificateSigningRequests, string.Empty, key, "approval"), approved, ct);
                Log.Approved(logger, key, recognizer.Subresource, CsrFields.Username(csr));
                return;
            }
        }

        if (recognizers.Count > 0)
        {
            throw new RetryLaterException($"recognized csr \"{key}\" as [{string.Join(' ', recognizers.Select(r => r.Subresource))}] but subject access review was not approved");
        }
    }
}
