namespace K3sLab.K3s.Bootstrap;

/// <summary>
/// k3s's data-dir layout (<c>--data-dir</c>, default <c>/var/lib/rancher/k3s</c> as root and
/// <c>~/.rancher/k3s</c> otherwise). Paths only; nothing here touches the disk.
/// </summary>
/// <param name="Root">The data dir.</param>
internal sealed record DataDir(string Root)
{
    /// <summary>The default for this user, as k3s chooses it.</summary>
    public static string DefaultRoot => Environment.IsPrivilegedProcess
        ? "/var/lib/rancher/k3s"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".rancher", "k3s");

    public string Server => Path.Combine(Root, "server");

    /// <summary><c>server/tls</c>: the cluster CAs and the certificates they issued.</summary>
    public string ServerTls => Path.Combine(Server, "tls");

    /// <summary><c>server/cred</c>: the passwd file and the component kubeconfigs.</summary>
    public string ServerCred => Path.Combine(Server, "cred");

    /// <summary><c>server/db</c>: <c>state.db</c> (SQLite), <c>etcd/</c> (the embedded store), <c>snapshots/</c>.</summary>
    public string ServerDb => Path.Combine(Server, "db");

    public string ServerManifests => Path.Combine(Server, "manifests");

    /// <summary><c>server/token</c>: the secure server token.</summary>
    public string TokenFile => Path.Combine(Server, "token");

    /// <summary><c>server/node-token</c>: a link to <see cref="TokenFile"/>, kept for compatibility.</summary>
    public string NodeTokenFile => Path.Combine(Server, "node-token");

    /// <summary><c>server/agent-token</c>: the agent token, or a link to <see cref="TokenFile"/>.</summary>
    public string AgentTokenFile => Path.Combine(Server, "agent-token");

    /// <summary><c>server/cred/passwd</c>: CSV <c>password,name,name,role</c>.</summary>
    public string PasswdFile => Path.Combine(ServerCred, "passwd");

    public string AdminKubeconfig => Path.Combine(ServerCred, "admin.kubeconfig");

    public string SqliteDatabase => Path.Combine(ServerDb, "state.db");

    /// <summary><c>server/tls/etcd</c>: the embedded datastore's CAs and this server's certificates.</summary>
    public string EtcdTls => Path.Combine(ServerTls, "etcd");

    /// <summary><c>server/db/etcd</c>: the embedded datastore's folder.</summary>
    public string Etcd => Path.Combine(ServerDb, "etcd");

    /// <summary><c>server/db/etcd/name</c>: this server's member name, <c>&lt;node-name&gt;-&lt;8 hex&gt;</c>.</summary>
    public string EtcdNameFile => Path.Combine(Etcd, "name");

    /// <summary><c>server/db/etcd/member</c>: the member's WAL and snapshots (<c>member/wal</c> decides the datastore at start).</summary>
    public string EtcdMember => Path.Combine(Etcd, "member");

    public string Agent => Path.Combine(Root, "agent");

    /// <summary>The agent load balancer's persisted server list.</summary>
    public string AgentLoadBalancerState => Path.Combine(Agent, "etc", "k3s-agent-load-balancer.json");
}
