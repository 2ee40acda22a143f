using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Observers;

/// <summary>
/// Polls every datastore member (the servers on the embedded store, the etcd nodes of an external etcd cluster)
/// once a second for (term, leader, revision) and records each answer, so the checks can see every term's leader
/// from every member's side and the report can draw who led when. Also answers "who leads now" for the
/// <c>leader</c>/<c>follower</c> references: the leader a majority of all members names in the highest term any of
/// them reports. Real etcd members' terms go through <see cref="AppliedTermFilter"/>, as etcd reports the term of
/// the last applied entry rather than the current one.
/// </summary>
public sealed class DatastoreObserver(ChaosNodes nodes, Etcdctl etcdctl, RunRecord record) : IAsyncDisposable
{
    private readonly Dictionary<ulong, string> _members = [];
    private readonly AppliedTermFilter _appliedTerms = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private bool _disposed;
    private string? _lastLeader;

    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    /// <summary>Polls every server now and returns the answers (also recorded).</summary>
    public async Task<IReadOnlyList<MemberObservation>> PollAsync(CancellationToken cancellationToken)
    {
        var servers = nodes.Members;
        var answers = await Task.WhenAll(servers.Select(s => PollOneAsync(s, cancellationToken)));
        var leaders = answers.Where(a => a.Term is not null).GroupBy(a => a.Term).OrderByDescending(g => g.Key).FirstOrDefault();
        var agreed = leaders?.GroupBy(a => a.Leader).Where(g => g.Key is not null && g.Count() > servers.Count / 2).Select(g => g.Key).FirstOrDefault();
        if (agreed is not null && agreed != _lastLeader)
        {
            record.Event("leader", $"{agreed} leads (term {leaders!.Key})");
            _lastLeader = agreed;
        }

        return answers;
    }

    /// <summary>The leader a majority of the members name in the highest term reported, or null.</summary>
    public async Task<string?> CurrentLeaderAsync(CancellationToken cancellationToken)
    {
        var answers = await PollAsync(cancellationToken);
        var top = answers.Where(a => a.Term is not null).GroupBy(a => a.Term).OrderByDescending(g => g.Key).FirstOrDefault();
        return top?.GroupBy(a => a.Leader).Where(g => g.Key is not null && g.Count() > nodes.Members.Count / 2).Select(g => g.Key).FirstOrDefault();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = record.Clock.Elapsed;
            await PollAsync(cancellationToken);
            var wait = TimeSpan.FromSeconds(1) - (record.Clock.Elapsed - started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<MemberObservation> PollOneAsync(string server, CancellationToken cancellationToken)
    {
        var at = record.Clock.Seconds;
        var status = await etcdctl.StatusAsync(nodes[server], cancellationToken);
        if (status is not { } s)
        {
            var missing = new MemberObservation(at, server, null, null, null);
            record.Member(missing);
            return missing;
        }

        if (!_members.ContainsKey(s.Leader) && s.Leader != 0)
        {
            await RefreshMembersAsync(server, cancellationToken);
        }

        var leader = s.Leader == 0 ? null : Name(s.Leader);
        var term = nodes[server].Role == NodeRole.Etcd ? _appliedTerms.Filter(server, at, s.Term, leader) : s.Term;
        var observation = new MemberObservation(at, server, term, leader, s.Revision);
        record.Member(observation);
        return observation;
    }

    private string Name(ulong id)
    {
        lock (_members)
        {
            return _members.TryGetValue(id, out var name) ? name : $"member {id:x}";
        }
    }

    private async Task RefreshMembersAsync(string server, CancellationToken cancellationToken)
    {
        if (await etcdctl.MembersAsync(nodes[server], cancellationToken) is not { } members)
        {
            return;
        }

        lock (_members)
        {
            foreach (var (id, name, _) in members)
            {
                _members[id] = nodes.FromNodeName(name) ?? name;
            }
        }
    }
}
