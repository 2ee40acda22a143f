using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.Lab.Tests.Controllers.Apps;

/// <summary>Builders of the Deployments, ReplicaSets and pods the planner tests feed in.</summary>
internal static class AppsObjects
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static JsonObject Deployment(long replicas, string image = "pause", JsonNode? maxSurge = null, JsonNode? maxUnavailable = null, bool recreate = false, long generation = 1, long revisionHistoryLimit = 10) => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "Deployment",
        ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "default", ["uid"] = "d-uid", ["generation"] = generation, ["resourceVersion"] = "1" },
        ["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["revisionHistoryLimit"] = revisionHistoryLimit,
            ["progressDeadlineSeconds"] = 600,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } },
            ["strategy"] = recreate
                ? new JsonObject { ["type"] = "Recreate" }
                : new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxSurge"] = maxSurge ?? "25%", ["maxUnavailable"] = maxUnavailable ?? "25%" } },
            ["template"] = Template(image),
        },
    };

    public static JsonObject Template(string image) => new()
    {
        ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "web" } },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = image }) },
    };

    public static JsonObject Pod(string name, string phase = "Running", string node = "n1", bool? ready = true, DateTimeOffset? readySince = null, long restarts = 0, DateTimeOffset? created = null, string? ownerUid = "rs-uid")
    {
        var conditions = new JsonArray();
        if (ready is { } r)
        {
            conditions.Add((JsonNode)new JsonObject { ["type"] = "Ready", ["status"] = r ? "True" : "False", ["lastTransitionTime"] = Stamp(readySince ?? Epoch) });
        }

        var metadata = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = "default",
            ["uid"] = name + "-uid",
            ["labels"] = new JsonObject { ["app"] = "web" },
            ["creationTimestamp"] = Stamp(created ?? Epoch),
        };
        if (ownerUid is not null)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = "rs", ["uid"] = ownerUid, ["controller"] = true });
        }

        return new JsonObject
        {
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["nodeName"] = node },
            ["status"] = new JsonObject
            {
                ["phase"] = phase,
                ["conditions"] = conditions,
                ["containerStatuses"] = new JsonArray(new JsonObject { ["name"] = "c", ["restartCount"] = restarts }),
            },
        };
    }
}
