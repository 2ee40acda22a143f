using System.Text.Json.Nodes;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;

namespace K3sLab.Scenarios.Chaos.Observers;

/// <summary>
/// Asks a datastore member about itself by running <c>etcdctl</c> 3.4 inside its node against
/// <c>https://127.0.0.1:2379</c>: in a server, the embedded member with the server's own etcd client certificate; in
/// an external etcd node, the real etcd member with the lab's client certificate. Exec does not cross the cluster
/// network, so an isolated member still answers for itself; a killed or paused one does not.
/// </summary>
public sealed class Etcdctl(INodeProvider provider)
{
    private const string Tls = "/var/lib/rancher/k3s/server/tls/etcd";

    /// <summary>The member's status, or null when it did not answer.</summary>
    public async Task<(ulong MemberId, ulong Leader, long Term, long Revision)?> StatusAsync(LabNode server, CancellationToken cancellationToken)
    {
        var json = await RunAsync(server, ["endpoint", "status"], cancellationToken);
        var status = (json as JsonArray)?.FirstOrDefault()?["Status"];
        return status?["header"] is { } header
            ? (header["member_id"]?.GetValue<ulong>() ?? 0, status["leader"]?.GetValue<ulong>() ?? 0, status["raftTerm"]?.GetValue<long>() ?? 0, header["revision"]?.GetValue<long>() ?? 0)
            : null;
    }

    /// <summary>The members as the server lists them (id, name, learner or voter); null when it did not answer.</summary>
    public async Task<IReadOnlyList<(ulong Id, string Name, bool IsLearner)>?> MembersAsync(LabNode server, CancellationToken cancellationToken)
    {
        var json = await RunAsync(server, ["member", "list"], cancellationToken);
        return json?["members"] is JsonArray members
            ? [.. members.OfType<JsonObject>().Select(m => (m["ID"]!.GetValue<ulong>(), m["name"]?.GetValue<string>() ?? "", m["isLearner"]?.GetValue<bool>() == true))]
            : null;
    }

    /// <summary>The member's HashKV at <paramref name="revision"/>, or null when it did not answer.</summary>
    public async Task<(uint Hash, long CompactRevision)?> HashKvAsync(LabNode server, long revision, CancellationToken cancellationToken)
    {
        var json = await RunAsync(server, ["endpoint", "hashkv", $"--rev={revision}"], cancellationToken);
        var hash = (json as JsonArray)?.FirstOrDefault()?["HashKV"];
        return hash?["hash"] is { } h ? (h.GetValue<uint>(), hash["compact_revision"]?.GetValue<long>() ?? 0) : null;
    }

    /// <summary>etcdctl with the endpoint and certificates for the member in <paramref name="node"/>.</summary>
    private static IReadOnlyList<string> Client(LabNode node) => node.Role == NodeRole.Etcd
        ? EtcdTopology.EtcdctlArgs(EtcdTopology.LocalEndpoint)
        : ["etcdctl", "--endpoints=https://127.0.0.1:2379", $"--cacert={Tls}/server-ca.crt", $"--cert={Tls}/server-client.crt", $"--key={Tls}/server-client.key"];

    private async Task<JsonNode?> RunAsync(LabNode server, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(8));
        try
        {
            var result = await provider.ExecAsync(
                server,
                [.. Client(server), "--command-timeout=3s", "--dial-timeout=2s", "-w", "json", .. args],
                timeout.Token);
            return result.ExitCode == 0 ? JsonNode.Parse(result.Stdout) : null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
