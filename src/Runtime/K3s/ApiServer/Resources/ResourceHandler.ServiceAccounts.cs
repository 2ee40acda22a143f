using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Admission;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// The ServiceAccount admission plugin's lookup, around <see cref="ServiceAccountAdmission"/>: the pod's account is
/// read from this server's copy first (the account cache the token authenticator keeps, else a serializable read),
/// then with live reads. A missing <c>default</c> account is looked for ten
/// times, 100-200 ms apart, because the serviceaccount controller creates it just after its namespace; any other
/// missing account once. Not found in the end, the pod is refused (403).
/// </summary>
internal sealed partial class ResourceHandler
{
    private static readonly ResourceKind ServiceAccounts = new(string.Empty, "serviceaccounts", true);

    private async Task AdmitServiceAccountAsync(string ns, JsonObject pod, CancellationToken ct)
    {
        if (!serviceAccountAdmission || ServiceAccountAdmission.AccountName(pod) is not { } name)
        {
            return;
        }

        var account = await FindServiceAccountAsync(ns, name, ct) ?? throw ServiceAccountAdmission.MissingAccount(pod, ns, name);
        ServiceAccountAdmission.Admit(pod, account, ObjectDefaults.NameSuffix);
    }

    private async Task<JsonObject?> FindServiceAccountAsync(string ns, string name, CancellationToken ct)
    {
        var local = serviceAccountCache is not null
            ? serviceAccountCache.Items.GetValueOrDefault($"{ns}/{name}")
            : (await storage.TryGetLocalAsync(ServiceAccounts, ns, name, ct))?.Object;
        if (local is not null)
        {
            return local;
        }

        var attempts = name == ServiceAccountAdmission.DefaultAccount ? 10 : 1;
        var interval = TimeSpan.FromMilliseconds(100 + Random.Shared.Next(100));
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(interval, time, ct);
            }

            try
            {
                return (await storage.GetAsync(ServiceAccounts, ns, name, ct)).Object;
            }
            catch (ApiStatusException e) when (e.Code == 404)
            {
            }
        }

        return null;
    }
}
