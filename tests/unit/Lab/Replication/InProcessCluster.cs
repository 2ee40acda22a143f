using System.Net;
using System.Text;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Replication;
using K3sLab.K3s.Store;
using K3sLab.Lab.Host;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Replication;

/// <summary>
/// Members of the replicated store in this process, on loopback with plain HTTP/2, each with its own data dir:
/// the first bootstraps, the others join through its client port, as <c>k3s datastore member</c> does.
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("k3slab-raft-inproc-");
    private readonly Dictionary<string, (ReplicatedMemberOptions Options, ReplicatedMember? Member)> _members = [];

    public Func<ReplicatedMemberOptions, ReplicatedMemberOptions> Configure { get; init; } = o => o;

    public IEnumerable<ReplicatedMember> Running => _members.Values.Where(m => m.Member is not null).Select(m => m.Member!);

    public ReplicatedMember this[string name] => _members[name].Member ?? throw new InvalidOperationException($"{name} is stopped");

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string S(byte[] b) => Encoding.UTF8.GetString(b);

    public static async Task<InProcessCluster> StartAsync(int size, CancellationToken ct, Func<ReplicatedMemberOptions, ReplicatedMemberOptions>? configure = null)
    {
        var cluster = new InProcessCluster { Configure = configure ?? (o => o) };
        try
        {
            await cluster.AddAsync("m1", join: null, ct);
            for (var i = 2; i <= size; i++)
            {
                await cluster.AddAsync($"m{i}", join: "m1", ct);
            }

            await cluster.WaitAsync(() => cluster.Running.All(m => m.Host.Status.ConfState.Voters.Count == size && m.Host.Members.List.All(x => x.Name.Length > 0)), TimeSpan.FromSeconds(30), "all members started voters", ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a new member: bootstrap when <paramref name="join"/> is null, else join through that member.</summary>
    public async Task<ReplicatedMember> AddAsync(string name, string? join, CancellationToken ct)
    {
        var clientPort = Loopback.FreePort();
        var peerPort = Loopback.FreePort();
        var options = Configure(new ReplicatedMemberOptions(
            Path.Combine(_root.FullName, name, "member"),
            name,
            new EtcdServerOptions(new IPEndPoint(IPAddress.Loopback, clientPort)),
            new IPEndPoint(IPAddress.Loopback, peerPort))
        {
            AdvertiseClientUrls = [$"http://127.0.0.1:{clientPort}"],
            AdvertisePeerUrls = [$"http://127.0.0.1:{peerPort}"],
            ClusterInit = join is null,
            JoinUrl = join is null ? null : _members[join].Options.AdvertiseClientUrls[0],
        });
        var member = await ReplicatedMember.StartAsync(options, NullLoggerFactory.Instance, null, ct);
        _members[name] = (options, member);
        return member;
    }

    /// <summary>Stops a member as a crash would (no goodbye); its data stays for <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync(string name)
    {
        var (options, member) = _members[name];
        if (member is not null)
        {
            await member.DisposeAsync();
        }

        _members[name] = (options, null);
    }

    public async Task<ReplicatedMember> RestartAsync(string name, CancellationToken ct)
    {
        var options = _members[name].Options;
        var member = await ReplicatedMember.StartAsync(options, NullLoggerFactory.Instance, null, ct);
        _members[name] = (options, member);
        return member;
    }

    /// <summary>
    /// Restarts a stopped member from its data on a new peer port, as a node that came back at another address:
    /// the cluster still knows its old peer URL.
    /// </summary>
    public async Task<ReplicatedMember> RestartMovedAsync(string name, CancellationToken ct)
    {
        var peerPort = Loopback.FreePort();
        var options = _members[name].Options with
        {
            PeerListen = new IPEndPoint(IPAddress.Loopback, peerPort),
            AdvertisePeerUrls = [$"http://127.0.0.1:{peerPort}"],
        };
        var member = await ReplicatedMember.StartAsync(options, NullLoggerFactory.Instance, null, ct);
        _members[name] = (options, member);
        return member;
    }

    /// <summary>A member's directory (its WAL and snapshots).</summary>
    public string MemberDirectory(string name) => _members[name].Options.MemberDirectory;

    /// <summary>The peer URL a member listens on.</summary>
    public string PeerUrl(string name) => _members[name].Options.AdvertisePeerUrls[0];

    public ReplicatedMember Leader => Running.Single(m => m.Host.IsLeader);

    public ReplicatedMember AFollower => Running.First(m => !m.Host.IsLeader);

    public async Task WaitAsync(Func<bool> condition, TimeSpan within, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(20, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _members.Keys.ToList())
        {
            await StopAsync(name);
        }

        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static Task<TxnResult> PutAsync(IRevisionedStore store, string key, string value, CancellationToken ct, long lease = 0) =>
        store.TxnAsync(TxnRequest.Of(new PutOp(B(key), B(value), lease)), ct);

    public static async Task<string?> GetAsync(IRevisionedStore store, string key, CancellationToken ct, bool serializable = false)
    {
        var result = await store.RangeAsync(new RangeQuery(new KeyRange(B(key), [])) { Serializable = serializable }, ct);
        return result.Kvs.Count == 0 ? null : S(result.Kvs[0].Value);
    }
}
