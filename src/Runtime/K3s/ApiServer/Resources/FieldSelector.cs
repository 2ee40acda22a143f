using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// A <c>fieldSelector</c> with <c>=</c>, <c>==</c> and <c>!=</c> over the fields kube-apiserver lets each kind be
/// selected by: <c>metadata.name</c> and <c>metadata.namespace</c> everywhere, plus the kind's own (a kubelet
/// watches pods by <c>spec.nodeName</c>, <c>kubectl drain</c> lists them so, <c>kubectl describe</c> finds events by
/// <c>involvedObject.*</c>). Any other field is refused with kube-apiserver's message. Pure.
/// </summary>
internal sealed class FieldSelector
{
    private static readonly Dictionary<string, string[]> KindFields = new(StringComparer.Ordinal)
    {
        ["Pod"] = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"],
        ["Event"] = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
        ["Secret"] = ["type"],
        ["Node"] = ["spec.unschedulable"],
        ["Namespace"] = ["status.phase"],
        ["ReplicationController"] = ["status.replicas"],
        ["ReplicaSet"] = ["status.replicas"],
        ["Job"] = ["status.successful"],
        ["CertificateSigningRequest"] = ["spec.signerName"],
    };

    /// <summary>Boolean fields read as <c>false</c> when absent, as Go's zero value prints.</summary>
    private static readonly HashSet<string> Flags = ["spec.hostNetwork", "spec.unschedulable"];

    private readonly List<(string Field, string Value, bool Negate)> _terms = [];

    public static FieldSelector Parse(string? text, string kind)
    {
        var selector = new FieldSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var term in text.Split(','))
        {
            var (op, negate) = term.Contains("!=", StringComparison.Ordinal) ? ("!=", true) : term.Contains("==", StringComparison.Ordinal) ? ("==", false) : ("=", false);
            var at = term.IndexOf(op, StringComparison.Ordinal);
            if (at <= 0)
            {
                throw ApiErrors.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            }

            var field = term[..at].Trim();
            if (field is not ("metadata.name" or "metadata.namespace") && !(KindFields.TryGetValue(kind, out var own) && own.Contains(field)))
            {
                throw ApiErrors.BadRequest($"field label not supported: {field}");
            }

            selector._terms.Add((field, term[(at + op.Length)..].Trim(), negate));
        }

        return selector;
    }

    public bool Matches(JsonObject obj)
    {
        foreach (var (field, value, negate) in _terms)
        {
            if ((Read(obj, field) == value) == negate)
            {
                return false;
            }
        }

        return true;
    }

    private static string Read(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        // An event's "source" selects by its reporting component.
        foreach (var part in (path == "source" ? "source.component" : path).Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        return node switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "true" : "false",
            JsonValue v when v.TryGetValue<long>(out var n) => n.ToString(CultureInfo.InvariantCulture),
            null when Flags.Contains(path) => "false",
            _ => string.Empty,
        };
    }
}
