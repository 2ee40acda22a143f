using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Datastore.Replicated;

/// <summary>
/// Three <c>k3s datastore member</c> processes on loopback that form a cluster the way k3s servers do: the first
/// with --cluster-init, the others joining through its client URL as learners that the leader promotes.
/// </summary>
internal sealed class ReplicatedCluster : IAsyncDisposable
{
    private readonly DirectoryInfo _root;

    private ReplicatedCluster(DirectoryInfo root, ClusterCertificates certs, IReadOnlyList<RaftMemberProcess> members)
    {
        _root = root;
        Certificates = certs;
        Members = members;
    }

    public ClusterCertificates Certificates { get; }

    public IReadOnlyList<RaftMemberProcess> Members { get; }

    public string Logs => string.Join("\n", Members.Select(m => m.Log));

    public static async Task<ReplicatedCluster> StartAsync(int size, CancellationToken ct)
    {
        await new PublishedRuntime().InitializeAsync();
        var root = Directory.CreateTempSubdirectory("k3slab-raft-");
        var certs = ClusterCertificates.Create(Path.Combine(root.FullName, "tls"));
        var members = Enumerable.Range(1, size).Select(i => new RaftMemberProcess($"m{i}", root.FullName, certs)).ToList();
        var cluster = new ReplicatedCluster(root, certs, members);
        try
        {
            await members[0].StartAsync(["--cluster-init"], ct);
            foreach (var member in members.Skip(1))
            {
                await member.StartAsync(["--join", members[0].ClientUrl], ct);
            }

            var list = await Eventually.UntilAsync(() => cluster.EtcdctlAsync(members[0], ["member", "list"], ct), r => StartedVoters(r.Stdout) == size, TimeSpan.FromSeconds(60), ct);
            if (StartedVoters(list.Stdout) != size)
            {
                throw new InvalidOperationException($"the cluster did not reach {size} started voters:\n{list.Stdout}{list.Stderr}\n{cluster.Logs}");
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Lines of <c>etcdctl member list</c> that are started, non-learner members.</summary>
    public static int StartedVoters(string memberList) =>
        memberList.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(", started,", StringComparison.Ordinal) && l.TrimEnd().EndsWith(", false", StringComparison.Ordinal));

    public Task<EtcdctlResult> EtcdctlAsync(RaftMemberProcess member, IReadOnlyList<string> args, CancellationToken ct) =>
        Etcdctl.RunAsync(member.ClientUrl, [.. Certificates.EtcdctlFlags, "--command-timeout", "10s", .. args], stdin: null, TimeSpan.FromSeconds(30), ct);

    public async ValueTask DisposeAsync()
    {
        foreach (var member in Members)
        {
            await member.DisposeAsync();
        }

        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
