using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// The pod status a kubelet reports for its containers' records. Phase: <c>Pending</c> until the init containers
/// succeeded and a container ran; <c>Running</c> while any runs or will restart; <c>Succeeded</c>/<c>Failed</c> once
/// none will run again (<see cref="RestartDecision.FinalPhase"/>). Conditions, in the kubelet's order:
/// PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled, each keeping its
/// <c>lastTransitionTime</c> while its status holds. A container is ready while it runs and its readiness probe, if it has one, succeeds.
/// <c>podIP</c> is the node's IP: pods share the node's network namespace. Pure.
/// </summary>
internal static class PodStatusDocument
{
    public static JsonObject Build(IReadOnlyList<ContainerRecord> init, IReadOnlyList<ContainerRecord> main, string nodeIp, DateTimeOffset startTime, JsonArray? previousConditions, DateTimeOffset now)
    {
        var initFailed = init.Any(c => c.Done && c.Exit is { ExitCode: not 0 });
        var initPending = init.Where(c => !(c.Done && c.Exit is { ExitCode: 0 })).Select(c => c.Name).ToList();
        var unready = main.Where(c => !IsReady(c)).Select(c => c.Name).ToList();
        var phase = Phase(initFailed, initPending.Count > 0, main);
        var completed = phase is "Succeeded" or "Failed";

        var conditions = new JsonArray
        {
            (JsonNode)Condition("PodReadyToStartContainers", !completed, null, null, previousConditions, now),
            (JsonNode)Condition("Initialized", initPending.Count == 0, "ContainersNotInitialized", $"containers with incomplete status: [{string.Join(' ', initPending)}]", previousConditions, now),
            (JsonNode)Condition("Ready", unready.Count == 0 && !completed, completed ? "PodCompleted" : "ContainersNotReady", completed ? null : $"containers with unready status: [{string.Join(' ', unready)}]", previousConditions, now),
            (JsonNode)Condition("ContainersReady", unready.Count == 0 && !completed, completed ? "PodCompleted" : "ContainersNotReady", completed ? null : $"containers with unready status: [{string.Join(' ', unready)}]", previousConditions, now),
            (JsonNode)Condition("PodScheduled", true, null, null, previousConditions, now),
        };

        var status = new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = conditions,
            ["hostIP"] = nodeIp,
            ["hostIPs"] = new JsonArray { (JsonNode)new JsonObject { ["ip"] = nodeIp } },
            ["podIP"] = nodeIp,
            ["podIPs"] = new JsonArray { (JsonNode)new JsonObject { ["ip"] = nodeIp } },
            ["startTime"] = Timestamps.Format(startTime),
            ["containerStatuses"] = new JsonArray([.. main.Select(c => (JsonNode)ContainerStatus(c))]),
            ["qosClass"] = "BestEffort",
        };
        if (init.Count > 0)
        {
            status["initContainerStatuses"] = new JsonArray([.. init.Select(c => (JsonNode)ContainerStatus(c))]);
        }

        return status;
    }

    /// <summary>The pod phase for these records.</summary>
    public static string Phase(bool initFailed, bool initPending, IReadOnlyList<ContainerRecord> main)
    {
        if (initFailed)
        {
            return "Failed";
        }

        if (initPending)
        {
            return "Pending";
        }

        if (main.Count > 0 && main.All(c => c.Done))
        {
            return RestartDecision.FinalPhase(main.Select(c => c.Exit?.ExitCode ?? 0));
        }

        return main.Any(c => c.Phase == ContainerPhase.Running || c.LastExit is not null || c.Exit is not null) ? "Running" : "Pending";
    }

    public static JsonObject ContainerStatus(ContainerRecord c)
    {
        var state = c.Phase switch
        {
            ContainerPhase.Running => new JsonObject { ["running"] = new JsonObject { ["startedAt"] = Timestamps.Format(c.StartedAt!.Value) } },
            ContainerPhase.Terminated when c.Exit is { } exit => new JsonObject { ["terminated"] = Terminated(exit) },
            _ => new JsonObject { ["waiting"] = Waiting(c.WaitingReason, c.WaitingMessage) },
        };
        var status = new JsonObject
        {
            ["name"] = c.Name,
            ["state"] = state,
            ["lastState"] = c.LastExit is { } last ? new JsonObject { ["terminated"] = Terminated(last) } : new JsonObject(),
            ["ready"] = IsReady(c),
            ["restartCount"] = c.RestartCount,
            ["image"] = c.Image,
            ["imageID"] = string.Empty,
            ["started"] = c.Phase == ContainerPhase.Running,
        };
        if ((c.Phase == ContainerPhase.Terminated ? c.Exit?.ContainerId : c.Phase == ContainerPhase.Running ? c.ContainerId : null) is { } id)
        {
            status["containerID"] = id;
        }

        return status;
    }

    /// <summary>A container is ready while it runs and its readiness probe (if any) succeeds.</summary>
    private static bool IsReady(ContainerRecord c) => c.Phase == ContainerPhase.Running && c.Ready;

    private static JsonObject Waiting(string reason, string? message)
    {
        var waiting = new JsonObject { ["reason"] = reason };
        if (message is not null)
        {
            waiting["message"] = message;
        }

        return waiting;
    }

    private static JsonObject Terminated(ContainerExit exit)
    {
        var terminated = new JsonObject
        {
            ["exitCode"] = exit.ExitCode,
            ["reason"] = exit.Reason,
            ["startedAt"] = Timestamps.Format(exit.StartedAt),
            ["finishedAt"] = Timestamps.Format(exit.FinishedAt),
        };
        if (exit.Message is not null)
        {
            terminated["message"] = exit.Message;
        }

        if (exit.ContainerId is not null)
        {
            terminated["containerID"] = exit.ContainerId;
        }

        return terminated;
    }

    private static JsonObject Condition(string type, bool status, string? reason, string? message, JsonArray? previous, DateTimeOffset now)
    {
        var value = status ? "True" : "False";
        var before = previous?.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type);
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = value,
            ["lastTransitionTime"] = before is not null && before["status"]?.GetValue<string>() == value && before["lastTransitionTime"]?.GetValue<string>() is { } kept ? kept : Timestamps.Format(now),
        };
        if (!status && reason is not null)
        {
            condition["reason"] = reason;
            if (message is not null)
            {
                condition["message"] = message;
            }
        }

        return condition;
    }
}
