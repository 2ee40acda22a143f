using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.ServiceAccounts;

/// <summary>
/// Keeps a <c>default</c> ServiceAccount in every active namespace (kube-controller-manager's serviceaccount
/// controller): created when a namespace appears and again if someone deletes it; namespaces being deleted are left alone.
/// </summary>
internal sealed class ServiceAccountController : IController
{
    private const string DefaultName = "default";

    public string Name => "serviceaccount";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var namespaces = await context.Caches.GetAsync(ApiPaths.Namespaces, ct);
        var accounts = await context.Caches.GetAsync(ApiPaths.ServiceAccounts, ct);
        using var onNamespace = namespaces.Subscribe((_, after) =>
        {
            if (after is not null)
            {
                queue.Add(ObjectKeys.Name(after));
            }
        });
        using var onAccount = accounts.Subscribe((before, after) =>
        {
            if (after is null && before is not null && ObjectKeys.Name(before) == DefaultName)
            {
                queue.Add(ObjectKeys.Namespace(before));
            }
        });

        await ReconcileLoop.RunAsync(Name, queue, (ns, token) => ReconcileAsync(context, namespaces, accounts, ns, token), 1, context.Loggers.CreateLogger("k3s.controllers.serviceaccount"), ct);
    }

    private static async Task ReconcileAsync(ControllerContext context, SharedCache namespaces, SharedCache accounts, string ns, CancellationToken ct)
    {
        if (!namespaces.Items.TryGetValue(ObjectKeys.CacheKey(string.Empty, ns), out var namespaceObject)
            || ObjectKeys.IsDeleting(namespaceObject)
            || namespaceObject["status"]?["phase"]?.GetValue<string>() == "Terminating"
            || accounts.Items.ContainsKey(ObjectKeys.CacheKey(ns, DefaultName)))
        {
            return;
        }

        var account = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = DefaultName, ["namespace"] = ns },
        };
        try
        {
            await context.Api.CreateAsync(ApiPaths.For(ApiPaths.ServiceAccounts, ns), account, ct);
        }
        catch (Kubelet.Client.ApiException e) when (e.Status is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.NotFound)
        {
            // Already there (a cache behind the store), or the namespace is going away.
        }
    }
}
