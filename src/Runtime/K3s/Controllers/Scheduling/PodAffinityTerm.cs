using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// One required pod (anti-)affinity term: the pods it selects (its <c>labelSelector</c>, in the term's
/// <c>namespaces</c>, or the owning pod's namespace when none are listed, or every namespace when
/// <c>namespaceSelector</c> is the empty selector) and the node label that defines "the same place"
/// (<c>topologyKey</c>). A missing label selector selects no pods, an empty one all, as metav1 reads selectors.
/// A non-empty <c>namespaceSelector</c> is not evaluated (namespace labels are not cached): it adds no namespaces.
/// </summary>
internal sealed class PodAffinityTerm
{
    private readonly Func<JsonObject, bool> _selector;
    private readonly HashSet<string> _namespaces;
    private readonly bool _allNamespaces;

    private PodAffinityTerm(string topologyKey, Func<JsonObject, bool> selector, HashSet<string> namespaces, bool allNamespaces)
    {
        TopologyKey = topologyKey;
        _selector = selector;
        _namespaces = namespaces;
        _allNamespaces = allNamespaces;
    }

    public string TopologyKey { get; }

    /// <summary>The terms of <c>affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution</c> of a pod in <paramref name="ns"/>.</summary>
    public static List<PodAffinityTerm> RequiredAntiAffinity(JsonObject? spec, string ns) =>
        [.. spec.Obj("affinity").Obj("podAntiAffinity").Arr("requiredDuringSchedulingIgnoredDuringExecution").Items()
            .Where(t => t.Item is JsonObject)
            .Select(t => Of((JsonObject)t.Item!, ns))];

    public static PodAffinityTerm Of(JsonObject term, string ns)
    {
        var namespaces = new HashSet<string>(term.Arr("namespaces").Items().Select(n => JsonFields.AsString(n.Item) ?? string.Empty), StringComparer.Ordinal);
        var namespaceSelector = term.Obj("namespaceSelector");
        var all = namespaceSelector is { } s && s.Obj("matchLabels") is not { Count: > 0 } && s.Arr("matchExpressions") is not { Count: > 0 };
        if (namespaces.Count == 0 && namespaceSelector is null)
        {
            namespaces.Add(ns);
        }

        return new PodAffinityTerm(term.Str("topologyKey") ?? string.Empty, Selector(term.Obj("labelSelector")), namespaces, all);
    }

    /// <summary>Whether the term selects <paramref name="pod"/>.</summary>
    public bool Selects(SchedulingPod pod) => (_allNamespaces || _namespaces.Contains(pod.Namespace)) && _selector(pod.Object);

    private static Func<JsonObject, bool> Selector(JsonObject? selector)
    {
        if (selector is null)
        {
            return _ => false;
        }

        if (selector.Obj("matchLabels") is not { Count: > 0 } && selector.Arr("matchExpressions") is not { Count: > 0 })
        {
            return _ => true;
        }

        try
        {
            return LabelSelector.Parse(LabelSelector.Format(selector)).Matches;
        }
        catch (ApiServer.Errors.ApiStatusException)
        {
            return _ => false;
        }
    }
}
