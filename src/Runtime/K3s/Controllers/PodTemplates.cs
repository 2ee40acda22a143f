using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers;

/// <summary>Pods made from a controller's pod template (upstream's GetPodFromTemplate).</summary>
internal static class PodTemplates
{
    /// <summary>
    /// A pod for <paramref name="owner"/> from <paramref name="template"/>: the template's labels, annotations and
    /// spec, a <c>generateName</c> of <paramref name="generateName"/> (or a fixed <paramref name="name"/>), and a
    /// controller reference to the owner, so the garbage collector deletes it with its owner.
    /// </summary>
    public static JsonObject NewPod(JsonObject owner, string ownerApiVersion, string ownerKind, JsonObject? template, string generateName, string? name = null)
    {
        var metadata = new JsonObject
        {
            ["namespace"] = ObjectKeys.Namespace(owner),
            ["labels"] = template.Obj("metadata").Obj("labels")?.DeepClone() ?? new JsonObject(),
            ["ownerReferences"] = new JsonArray(ControllerRef.For(owner, ownerApiVersion, ownerKind)),
        };
        if (name is not null)
        {
            metadata["name"] = name;
        }
        else
        {
            metadata["generateName"] = generateName;
        }

        if (template.Obj("metadata").Obj("annotations") is { Count: > 0 } annotations)
        {
            metadata["annotations"] = annotations.DeepClone();
        }

        if (template.Obj("metadata").Arr("finalizers") is { Count: > 0 } finalizers)
        {
            metadata["finalizers"] = finalizers.DeepClone();
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = template.Obj("spec")?.DeepClone() ?? new JsonObject(),
        };
    }

    /// <summary>The label selector of a workload's <c>spec.selector</c> (matchLabels and matchExpressions); an absent selector matches nothing.</summary>
    public static Func<JsonObject, bool> Selector(JsonObject? selector)
    {
        if (selector is null || (selector.Obj("matchLabels") is not { Count: > 0 } && selector.Arr("matchExpressions") is not { Count: > 0 }))
        {
            return _ => false;
        }

        try
        {
            return ApiServer.Resources.LabelSelector.Parse(ApiServer.Resources.LabelSelector.Format(selector)).Matches;
        }
        catch (ApiServer.Errors.ApiStatusException)
        {
            // Validation refuses such selectors; one stored before that matches nothing rather than everything.
            return _ => false;
        }
    }
}
