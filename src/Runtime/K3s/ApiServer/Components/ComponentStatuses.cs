using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.ApiServer.Components;

/// <summary>
/// What <c>kubectl get componentstatuses</c> reports on this server: kube-apiserver probes the scheduler
/// and the controller manager on their local health ports and the datastore through its storage client, each
/// answer becoming a <c>ComponentStatus</c> named <c>scheduler</c>, <c>controller-manager</c> and <c>etcd-0</c>.
/// Here the scheduler and the controller manager run in this process, so the server tells this registry whether
/// it runs them (<see cref="Set"/>); the datastore is checked as <c>/readyz/etcd</c> checks it.
/// </summary>
internal sealed class ComponentStatuses
{
    public const string Scheduler = "scheduler";
    public const string ControllerManager = "controller-manager";
    public const string Datastore = "etcd-0";

    private readonly ConcurrentDictionary<string, Func<CancellationToken, Task<ComponentCondition>>> _checks = new(StringComparer.Ordinal);

    public ComponentStatuses(IRevisionedStore store)
    {
        _checks[Datastore] = async ct => await DatastoreHealth.CheckAsync(store, ct) is { } why ? ComponentCondition.Failed(why) : ComponentCondition.Ok;
        _checks[Scheduler] = _ => Task.FromResult(ComponentCondition.NotAnswering("kube-scheduler has not started on this server yet"));
        _checks[ControllerManager] = _ => Task.FromResult(ComponentCondition.NotAnswering("kube-controller-manager has not started on this server yet"));
    }

    /// <summary>The component's condition from now on: healthy when <paramref name="notRunning"/> is null, else why it is not.</summary>
    public void Set(string name, string? notRunning) =>
        _checks[name] = _ => Task.FromResult(notRunning is null ? ComponentCondition.Ok : ComponentCondition.NotAnswering(notRunning));

    /// <summary>Every component's <c>ComponentStatus</c> document, checked at once, by name.</summary>
    public async Task<IReadOnlyList<JsonObject>> CheckAllAsync(CancellationToken ct)
    {
        var checks = _checks.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        var conditions = await Task.WhenAll(checks.Select(c => c.Value(ct)));
        return [.. checks.Select((c, i) => Document(c.Key, conditions[i]))];
    }

    /// <summary>One component's document; null when there is no such component.</summary>
    public async Task<JsonObject?> CheckAsync(string name, CancellationToken ct) =>
        _checks.TryGetValue(name, out var check) ? Document(name, await check(ct)) : null;

    /// <summary>A <c>v1 ComponentStatus</c> with its one condition; empty message and error are left out, as Go omits them.</summary>
    public static JsonObject Document(string name, ComponentCondition condition)
    {
        var healthy = new JsonObject { ["type"] = "Healthy", ["status"] = condition.Healthy ? "True" : "False" };
        if (condition.Message.Length > 0)
        {
            healthy["message"] = condition.Message;
        }

        if (condition.Error.Length > 0)
        {
            healthy["error"] = condition.Error;
        }

        return new JsonObject
        {
            ["kind"] = "ComponentStatus",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["conditions"] = new JsonArray(healthy),
        };
    }
}
