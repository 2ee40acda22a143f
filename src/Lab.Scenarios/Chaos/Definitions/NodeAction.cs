namespace K3sLab.Scenarios.Chaos.Definitions;

/// <summary>Lifecycle faults and repairs a scenario applies to a node.</summary>
public enum NodeAction
{
    /// <summary>SIGKILL to the whole node container: power loss as its processes see it.</summary>
    Kill,
    /// <summary>SIGTERM, then SIGKILL after 10 s: a clean shutdown.</summary>
    Stop,
    /// <summary>Starts a stopped or killed node again.</summary>
    Start,
    /// <summary>A clean stop followed by a start.</summary>
    Restart,
    /// <summary>Freezes every process of the node (cgroup freezer): it neither answers nor times anything out.</summary>
    Pause,
    /// <summary>Thaws a paused node.</summary>
    Unpause,
    /// <summary>Removes the node with its disk and creates it afresh under the same name and address: a reinstalled machine.</summary>
    Reimage,
}

/// <summary>The YAML spelling of each <see cref="NodeAction"/>.</summary>
public static class NodeActions
{
    public static readonly IReadOnlyDictionary<string, NodeAction> ByName = new Dictionary<string, NodeAction>(StringComparer.Ordinal)
    {
        ["kill"] = NodeAction.Kill,
        ["stop"] = NodeAction.Stop,
        ["start"] = NodeAction.Start,
        ["restart"] = NodeAction.Restart,
        ["pause"] = NodeAction.Pause,
        ["unpause"] = NodeAction.Unpause,
        ["reimage"] = NodeAction.Reimage,
    };

    public static string Name(NodeAction action) => ByName.First(p => p.Value == action).Key;
}
