namespace K3sLab.Lab.Providers;

/// <summary>The part a node container plays in a lab cluster; stored in its <c>k3slab.role</c> label.</summary>
public enum NodeRole
{
    /// <summary>A <c>k3s server</c>.</summary>
    Server,

    /// <summary>A <c>k3s agent</c>.</summary>
    Agent,

    /// <summary>The cluster's TCP load balancer in front of the servers' API port.</summary>
    LoadBalancer,
}
