using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources.Defaults;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.Lab.Tests.Runtime.Validation;

/// <summary>Runs an object through the server's pipeline (defaults, then validation) and renders the 422 as kube-apiserver would.</summary>
internal static class Validated
{
    private static readonly Dictionary<string, (string Group, string Plural)> Kinds = new(StringComparer.Ordinal)
    {
        ["Pod"] = ("", "pods"),
        ["PodTemplate"] = ("", "podtemplates"),
        ["ReplicationController"] = ("", "replicationcontrollers"),
        ["Service"] = ("", "services"),
        ["ConfigMap"] = ("", "configmaps"),
        ["Secret"] = ("", "secrets"),
        ["Namespace"] = ("", "namespaces"),
        ["Deployment"] = ("apps", "deployments"),
        ["ReplicaSet"] = ("apps", "replicasets"),
        ["DaemonSet"] = ("apps", "daemonsets"),
        ["StatefulSet"] = ("apps", "statefulsets"),
        ["Job"] = ("batch", "jobs"),
        ["CronJob"] = ("batch", "cronjobs"),
        ["StorageClass"] = ("storage.k8s.io", "storageclasses"),
        ["HorizontalPodAutoscaler"] = ("autoscaling", "horizontalpodautoscalers"),
        ["CertificateSigningRequest"] = ("certificates.k8s.io", "certificatesigningrequests"),
    };

    /// <summary>The causes for creating <paramref name="json"/> (a body with its <c>kind</c>), or updating <paramref name="oldJson"/> to it.</summary>
    public static FieldErrorList Causes(string json, string? oldJson = null)
    {
        var (obj, kind) = Parse(json, creating: oldJson is null);
        var old = oldJson is null ? null : Parse(oldJson, creating: true).Object;
        var (group, plural) = Kinds[kind];
        return ObjectValidation.Check(group, kind, plural, obj, old);
    }

    /// <summary>The status message kube-apiserver would send, or null when the object is valid.</summary>
    public static string? Message(string json, string? oldJson = null)
    {
        var causes = Causes(json, oldJson);
        var (obj, kind) = Parse(json, creating: oldJson is null);
        return causes.Count == 0 ? null : ApiErrors.Invalid(Kinds[kind].Group, kind, obj["metadata"]?["name"]?.GetValue<string>() ?? string.Empty, causes).Message;
    }

    /// <summary>The one cause's field and message.</summary>
    public static (string Field, string Message) Single(string json, string? oldJson = null)
    {
        var causes = Causes(json, oldJson);
        causes.Should().ContainSingle(string.Join("\n", causes.Select(c => $"{c.Field}: {c.Message}")));
        return (causes[0].Field, causes[0].Message);
    }

    /// <summary>A pod body around one container (JSON), with an optional extra pod-spec fragment.</summary>
    public static string Pod(string container, string spec = "") =>
        """{"kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":{"containers":[""" + container + "]" + (spec.Length > 0 ? "," + spec : "") + "}}";

    private static (JsonObject Object, string Kind) Parse(string json, bool creating)
    {
        var obj = JsonNode.Parse(json)!.AsObject();
        var kind = obj["kind"]!.GetValue<string>();
        BuiltinDefaults.Apply(Kinds[kind].Group, kind, obj, creating);
        return (obj, kind);
    }
}
