using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Disruption;

namespace K3sLab.Lab.Tests.Controllers.Disruption;

/// <summary>Budgets, pods and workloads for the disruption planner's tests, in namespace <c>ns</c>.</summary>
internal static class DisruptionFixtures
{
    public static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A budget selecting <c>app=web</c> (or <paramref name="selector"/>: JSON, or null for none).</summary>
    public static JsonObject Budget(string? minAvailable = null, string? maxUnavailable = null, string? selector = """{"matchLabels":{"app":"web"}}""", long generation = 1, JsonObject? status = null)
    {
        var spec = new JsonObject();
        if (selector is not null)
        {
            spec["selector"] = JsonNode.Parse(selector);
        }

        if (minAvailable is not null)
        {
            spec["minAvailable"] = JsonNode.Parse(minAvailable);
        }

        if (maxUnavailable is not null)
        {
            spec["maxUnavailable"] = JsonNode.Parse(maxUnavailable);
        }

        var budget = new JsonObject
        {
            ["apiVersion"] = "policy/v1",
            ["kind"] = "PodDisruptionBudget",
            ["metadata"] = new JsonObject { ["name"] = "pdb", ["namespace"] = "ns", ["uid"] = "pdb-uid", ["generation"] = generation },
            ["spec"] = spec,
        };
        if (status is not null)
        {
            budget["status"] = status;
        }

        return budget;
    }

    /// <summary>A pod labelled <c>app=web</c> controlled by <paramref name="owner"/> (kind/name/uid) when given.</summary>
    public static JsonObject Pod(string name, bool ready = true, (string ApiVersion, string Kind, string Name, string Uid)? owner = null, bool deleting = false, string app = "web", string ns = "ns")
    {
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = name + "-uid", ["labels"] = new JsonObject { ["app"] = app } };
        if (owner is { } o)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = o.ApiVersion, ["kind"] = o.Kind, ["name"] = o.Name, ["uid"] = o.Uid, ["controller"] = true });
        }

        if (deleting)
        {
            metadata["deletionTimestamp"] = "2026-05-01T11:59:50Z";
        }

        return new JsonObject
        {
            ["metadata"] = metadata,
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }),
            },
        };
    }

    /// <summary>A workload with <paramref name="replicas"/>, controlled by <paramref name="controller"/> when given.</summary>
    public static JsonObject Workload(string kind, string name, string uid, long replicas, (string Kind, string Name, string Uid)? controller = null)
    {
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = "ns", ["uid"] = uid };
        if (controller is { } c)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = c.Kind, ["name"] = c.Name, ["uid"] = c.Uid, ["controller"] = true });
        }

        return new JsonObject { ["kind"] = kind, ["metadata"] = metadata, ["spec"] = new JsonObject { ["replicas"] = replicas } };
    }

    public static WorkloadLookup Lookup(params JsonObject[] workloads) =>
        (kind, ns, name) => workloads.FirstOrDefault(w => w["kind"]!.GetValue<string>() == kind && w["metadata"]!["namespace"]!.GetValue<string>() == ns && w["metadata"]!["name"]!.GetValue<string>() == name);

    public static readonly WorkloadLookup NoWorkloads = (_, _, _) => null;

    public static long? Field(DisruptionPlan plan, string field) => K3sLab.K3s.ApiServer.Validation.JsonFields.AsLong(plan.Status[field]);

    public static JsonObject Condition(DisruptionPlan plan) => plan.Status["conditions"]!.AsArray().OfType<JsonObject>().Single(c => c["type"]!.GetValue<string>() == "DisruptionAllowed");
}
