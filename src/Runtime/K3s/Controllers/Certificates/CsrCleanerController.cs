using System.Net;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// kube-controller-manager's <c>csrcleaner</c> controller: the IO around <see cref="CsrCleanup"/>. At start and then
/// every <see cref="CsrCleanup.PollingInterval"/> on the injected clock it checks every cached
/// CertificateSigningRequest and deletes those <see cref="CsrCleanup.Expired"/> names (one already gone counts as
/// deleted). A failed delete is logged and tried again at the next poll, as upstream does.
/// </summary>
internal sealed partial class CsrCleanerController : IController
{
    public string Name => "csrcleaner";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        var requests = await context.Caches.GetAsync(ApiPaths.CertificateSigningRequests, ct);
        var logger = context.Loggers.CreateLogger("k3s.controllers.csrcleaner");
        while (!ct.IsCancellationRequested)
        {
            await CleanAsync(context, requests, logger, ct);
            await Task.Delay(CsrCleanup.PollingInterval, context.Time, ct);
        }
    }

    private static async Task CleanAsync(ControllerContext context, SharedCache requests, ILogger logger, CancellationToken ct)
    {
        var now = context.Time.GetUtcNow();
        foreach (var csr in requests.Items.Values)
        {
            if (CsrCleanup.Expired(csr, now) is not { } reason)
            {
                continue;
            }

            var name = ObjectKeys.Name(csr);
            try
            {
                await ApiWrites.IgnoreAsync(context.Api.DeleteAsync(ApiPaths.For(ApiPaths.CertificateSigningRequests, string.Empty, name), [], ct), HttpStatusCode.NotFound);
                Log.Deleted(logger, name, reason);
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException or System.Text.Json.JsonException
                || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                Log.DeleteFailed(logger, name, e.Message);
            }
        }
    }
}
