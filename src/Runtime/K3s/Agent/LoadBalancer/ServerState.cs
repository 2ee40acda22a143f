namespace K3sLab.K3s.Agent.LoadBalancer;

/// <summary>
/// A server's standing in the agent load balancer, in increasing order of preference (k3s's order). Dials try
/// servers from the most preferred down; <see cref="Invalid"/> servers are never tried.
/// </summary>
internal enum ServerState
{
    /// <summary>Not a usable address.</summary>
    Invalid,

    /// <summary>The last dial or health check failed; tried only after every other server.</summary>
    Failed,

    /// <summary>The <c>--server</c> default, not in the server list: a last resort before failed servers.</summary>
    Standby,

    /// <summary>New in the list; not yet dialed or checked.</summary>
    Unchecked,

    /// <summary>Came back from failure or was just checked; waiting for a health check to confirm.</summary>
    Recovering,

    /// <summary>Passing health checks but not recently preferred.</summary>
    Healthy,

    /// <summary>Recently recovered and healthy: the first choice for the next dial, which makes agents fail back.</summary>
    Preferred,

    /// <summary>Carries the agent's connections.</summary>
    Active,
}
