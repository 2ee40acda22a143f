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

    /// <summary>A member of the external etcd cluster the servers keep their state in (<c>--datastore etcd</c>).</summary>
    Etcd,

    /// <summary>The external PostgreSQL the servers keep their state in (<c>--datastore postgres</c>).</summary>
    Postgres,

    /// <summary>
    /// An etcd-only <c>k3s server</c> (<c>--disable-apiserver --disable-controller-manager --disable-scheduler</c>):
    /// a member of the embedded store that the control-plane-only servers use (<c>--topology split</c>).
    /// </summary>
    EtcdServer,
}
