using System.Net;

namespace K3sLab.Lab.Datastores;

/// <summary>
/// k3s's split roles as the lab runs them (<c>k3slab up --topology split</c>): etcd-only servers
/// (<c>--disable-apiserver --disable-controller-manager --disable-scheduler</c>, the first with
/// <c>--cluster-init</c>, the others joining it with <c>--server</c>) hold the embedded store, and the control-plane
/// servers run with <c>--disable-etcd --server</c> pointing at the first of them, as etcd clients of it. The
/// etcd-only servers run no kubelet (<c>--disable-agent</c>, which this runtime implies for them) and register no Node.
/// </summary>
public static class SplitTopology
{
    private const string EtcdTls = "/var/lib/rancher/k3s/server/tls/etcd";

    /// <summary>The role flags of an etcd-only server.</summary>
    public static IReadOnlyList<string> EtcdOnlyFlags { get; } = ["--disable-apiserver", "--disable-controller-manager", "--disable-scheduler", "--disable-agent"];

    /// <summary>An etcd-only server's command: the first initialises the store, the others join it through <paramref name="join"/>.</summary>
    public static string[] EtcdServerCommand(IPAddress address, string token, IPAddress? join, IReadOnlyList<string> serverArgs) =>
    [
        "k3s", "server", "--token", token, "--node-ip", address.ToString(),
        .. join is null ? ["--cluster-init"] : new[] { "--server", SupervisorUrl(join) },
        .. EtcdOnlyFlags, .. serverArgs,
    ];

    /// <summary>The control-plane servers' datastore flags: no member of their own, the store found through the first etcd-only server.</summary>
    public static IReadOnlyList<string> ControlPlaneArgs(IPAddress firstEtcdServer) => ["--disable-etcd", "--server", SupervisorUrl(firstEtcdServer)];

    /// <summary>etcdctl inside an etcd-only server, against its own member with the server's client certificate.</summary>
    public static IReadOnlyList<string> EtcdctlArgs { get; } =
    [
        "etcdctl", "--endpoints=https://127.0.0.1:2379", $"--cacert={EtcdTls}/server-ca.crt", $"--cert={EtcdTls}/server-client.crt", $"--key={EtcdTls}/server-client.key",
    ];

    /// <summary>
    /// The started voters in etcdctl 3.4's <c>member list -w simple</c> output, whose lines read
    /// <c>id, started, name, peer URLs, client URLs, isLearner</c>.
    /// </summary>
    public static int Voters(string memberList) =>
        memberList.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(", "))
            .Count(f => f.Length >= 6 && f[1] == "started" && f[^1].Trim() == "false");

    private static string SupervisorUrl(IPAddress server) => $"https://{server}:{Providers.LabNaming.ApiPort}";
}
