using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>
/// The node authorizer's graph over the cluster's pods, kept by a pod <see cref="ObjectCache"/> and updated per
/// change (not rebuilt), so a busy cluster costs one pod's references per event: which node each pod is bound to,
/// and how many pods on each node reference each secret, config map, claim and service account.
/// </summary>
internal sealed class PodNodeGraph : INodeGraph, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, string> _nodeOfPod = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Node, string Resource, string Namespace, string Name), int> _references = new();
    private readonly Lock _gate = new();
    private ObjectCache? _pods;

    internal PodNodeGraph()
    {
    }

    public static async Task<PodNodeGraph> StartAsync(ObjectStorage storage, ILogger logger, CancellationToken cancellationToken)
    {
        var graph = new PodNodeGraph();
        graph._pods = await ObjectCache.StartAsync(storage, new ResourceKind(string.Empty, "pods", true), logger, graph.Update, cancellationToken).ConfigureAwait(false);
        return graph;
    }

    /// <summary>A graph of the pods of one namespace as the store has them now (a linearizable list), not kept up to date.</summary>
    public static async Task<PodNodeGraph> OfNamespaceAsync(ObjectStorage storage, string ns, CancellationToken cancellationToken)
    {
        var graph = new PodNodeGraph();
        var pods = await storage.ListAsync(new ResourceKind(string.Empty, "pods", true), ns, 0, null, 0, cancellationToken).ConfigureAwait(false);
        foreach (var pod in pods.Items)
        {
            graph.Update(ObjectCache.Key(pod), null, pod);
        }

        return graph;
    }

    public string? NodeOfPod(string ns, string pod) => _nodeOfPod.GetValueOrDefault($"{ns}/{pod}");

    public bool NodeReferences(string node, string resource, string ns, string name) =>
        _references.TryGetValue((node, resource, ns, name), out var count) && count > 0;

    public ValueTask DisposeAsync() => _pods?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>Applies one pod change: the old pod's edges out, the new pod's in.</summary>
    internal void Update(string key, JsonObject? before, JsonObject? after)
    {
        lock (_gate)
        {
            if (before is not null)
            {
                Edges(before, -1);
            }

            if (after is not null && PodReferences.Of(after).Node is { Length: > 0 } node)
            {
                _nodeOfPod[key] = node;
                Edges(after, +1);
            }
            else
            {
                _nodeOfPod.TryRemove(key, out _);
            }
        }
    }

    private void Edges(JsonObject pod, int delta)
    {
        var (node, references) = PodReferences.Of(pod);
        if (node.Length == 0)
        {
            return;
        }

        var ns = pod["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty;
        foreach (var (resource, name) in references)
        {
            var count = _references.AddOrUpdate((node, resource, ns, name), delta, (_, c) => c + delta);
            if (count <= 0)
            {
                _references.TryRemove((node, resource, ns, name), out _);
            }
        }
    }
}
