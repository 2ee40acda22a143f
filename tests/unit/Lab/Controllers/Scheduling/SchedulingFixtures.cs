using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Scheduling;

namespace K3sLab.Lab.Tests.Controllers.Scheduling;

/// <summary>Nodes and pods as the API server stores them, for the scheduler's pure core.</summary>
internal static class SchedulingFixtures
{
    public static JsonObject NodeObject(string name, string cpu = "4", string memory = "8Gi", string pods = "110", string ready = "True", bool unschedulable = false, JsonObject? labels = null, JsonArray? taints = null)
    {
        var allLabels = labels ?? [];
        allLabels["kubernetes.io/hostname"] ??= name;
        var node = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = allLabels },
            ["spec"] = new JsonObject(),
            ["status"] = new JsonObject
            {
                ["allocatable"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memory, ["pods"] = pods },
                ["conditions"] = ready.Length == 0 ? new JsonArray() : new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready }),
            },
        };
        if (unschedulable)
        {
            node["spec"]!["unschedulable"] = true;
        }

        if (taints is not null)
        {
            node["spec"]!["taints"] = taints;
        }

        return node;
    }

    public static SchedulingNode Node(string name, string cpu = "4", string memory = "8Gi", string pods = "110", string ready = "True", bool unschedulable = false, JsonObject? labels = null, JsonArray? taints = null) =>
        SchedulingNode.From(NodeObject(name, cpu, memory, pods, ready, unschedulable, labels, taints));

    public static JsonObject Taint(string key, string value, string effect) => new() { ["key"] = key, ["value"] = value, ["effect"] = effect };

    /// <summary>A pod with one container requesting <paramref name="cpu"/> and <paramref name="memory"/> (null: none).</summary>
    public static JsonObject PodObject(string name, string? cpu = null, string? memory = null, string node = "", string ns = "default", JsonObject? labels = null, string? controllerUid = null, long priority = 0)
    {
        var requests = new JsonObject();
        if (cpu is not null)
        {
            requests["cpu"] = cpu;
        }

        if (memory is not null)
        {
            requests["memory"] = memory;
        }

        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = "uid-" + name, ["labels"] = labels ?? [] };
        if (controllerUid is not null)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = "rs", ["uid"] = controllerUid, ["controller"] = true });
        }

        var spec = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "pause", ["resources"] = new JsonObject { ["requests"] = requests } }),
            ["priority"] = priority,
        };
        if (node.Length > 0)
        {
            spec["nodeName"] = node;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata, ["spec"] = spec, ["status"] = new JsonObject { ["phase"] = node.Length > 0 ? "Running" : "Pending" } };
    }

    public static SchedulingPod Pod(string name, string? cpu = null, string? memory = null, string node = "", JsonObject? labels = null, string? controllerUid = null, long priority = 0) =>
        SchedulingPod.From(PodObject(name, cpu, memory, node, labels: labels, controllerUid: controllerUid, priority: priority));

    /// <summary>A pod object with <paramref name="edit"/> applied to its spec.</summary>
    public static SchedulingPod PodWith(string name, Action<JsonObject> edit, string? cpu = null, string node = "", JsonObject? labels = null)
    {
        var pod = PodObject(name, cpu, node: node, labels: labels);
        edit((JsonObject)pod["spec"]!);
        return SchedulingPod.From(pod);
    }

    public static ClusterState State(params SchedulingNode[] nodes)
    {
        var state = new ClusterState();
        foreach (var node in nodes)
        {
            state.SetNode(node);
        }

        return state;
    }
}
