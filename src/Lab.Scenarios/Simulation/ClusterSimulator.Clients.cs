using K3sLab.Raft;
using K3sLab.Scenarios.Checkers;

namespace K3sLab.Scenarios.Simulation;

internal sealed partial class ClusterSimulator
{
    private const string TombstoneKey = "tombstone";

    /// <summary>The key a scripted scenario's probe writes (<c>expect: writes</c>).</summary>
    private const string ProbeKey = "probe";

    private readonly Random _clientRandom;
    private readonly List<SimulatedClient> _clients = [];
    private readonly List<KvOperation> _history = [];
    private readonly List<(SimulatedMember Member, SimulatedClient Client, ClientRequest Request)> _heldRequests = [];
    private SimulatedClient _tombstoneClient = null!;
    private long _clock;
    private bool _tombstoneAcknowledged;

    private void CreateClients()
    {
        for (var i = 1; i <= _mix.Clients; i++)
        {
            var pinned = Plan switch
            {
                { Routing: Scripted.ClientRouting.EachServer } plan => (ulong)((i - 1) % plan.Members) + 1,
                { Routing: Scripted.ClientRouting.OneServer } plan => plan.PinnedMember,
                _ => 0UL,
            };
            _clients.Add(new SimulatedClient(i, pinned != 0 ? pinned : RandomLiveMember(_clientRandom).Id) { Pinned = pinned });
        }
        // The final write of the heal phase, like etcd's robustness "tombstone" put: it must succeed.
        _tombstoneClient = new SimulatedClient(0, 1);
    }

    private bool HasPendingClients() => _clients.Any(c => c.Pending is not null) || _probe?.Pending is not null;

    private void TickClients()
    {
        foreach (var c in _clients)
        {
            TickClient(c, tombstone: false);
        }
        if (_probe is { } probe)
        {
            TickProbe(probe);
        }
        if (_healing && !_tombstoneAcknowledged)
        {
            TickClient(_tombstoneClient, tombstone: true);
        }
    }

    private void TickClient(SimulatedClient c, bool tombstone)
    {
        if (c.Pending is { } p)
        {
            var member = _members[(int)p.Member - 1];
            if (_now >= p.Deadline || member.Incarnation != p.Incarnation)
            {
                Complete(c, null, 0, 0, member.Incarnation != p.Incarnation ? "connection lost" : "timed out");
            }
            return;
        }
        if ((!tombstone && c != _probe && (_healing || !_loadOn)) || _now < c.NextTick)
        {
            return;
        }
        var next = tombstone
            ? new KvCommand(NextRequestId(c), KvCommandKind.Put, TombstoneKey) { Value = $"end-{c.Sequence}" }
            : c == _probe ? new KvCommand(NextRequestId(c), KvCommandKind.Put, ProbeKey) { Value = $"probe-{c.Sequence}" }
            : NextCommand(c);
        var target = _members[(int)c.LeaderGuess - 1];
        var request = new ClientRequest(next, ++_clock, _now + _mix.ClientTimeout, target.Id, target.Incarnation) { Sent = _now };
        switch (target.Status)
        {
            case MemberStatus.Down:
                c.Pending = request;
                Refused(c, "connection refused", 0);
                return;
            case MemberStatus.Paused:
                // The request sits in the frozen process's socket; it is proposed, stale, on resume.
                c.Pending = request;
                _heldRequests.Add((target, c, request));
                return;
            default:
                c.Pending = request;
                Propose(target, c);
                return;
        }
    }

    private KvCommand NextCommand(SimulatedClient c)
    {
        var r = _clientRandom;
        var key = $"k{r.Next(_mix.Keys)}";
        var value = $"c{c.Id}.{c.Sequence + 1}";
        var roll = r.Next(100);
        var id = NextRequestId(c);
        if (roll < 35)
        {
            return new KvCommand(id, KvCommandKind.Put, key) { Value = value };
        }
        if (roll < 65)
        {
            return new KvCommand(id, KvCommandKind.Get, key);
        }
        if (roll < 88)
        {
            var expected = c.LastRevision.GetValueOrDefault(key);
            return new KvCommand(id, KvCommandKind.Cas, key) { Value = value, ExpectedRevision = r.Next(4) == 0 ? expected + 1 : expected };
        }
        var key2 = $"k{(r.Next(_mix.Keys - 1) + 1 + int.Parse(key.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)) % _mix.Keys}";
        return new KvCommand(id, KvCommandKind.PutPair, key) { Value = value, Key2 = key2, Value2 = value + "b" };
    }

    private static long NextRequestId(SimulatedClient c) => ((long)c.Id << 32) | (uint)++c.Sequence;

    private void Propose(SimulatedMember member, SimulatedClient c)
    {
        var p = c.Pending!;
        var node = member.Node!;
        if (p.Command.Kind == KvCommandKind.Get && ((_options.Bug == PlantedBug.StaleLocalRead && node.Role == RaftRole.Leader) || _options.Bug == PlantedBug.StaleReadAnyMember))
        {
            var local = member.Kv.Get(p.Command.Key);
            Complete(c, new KvResult(p.Command.RequestId, true, 0, local?.Value, local?.ModRevision ?? 0), 0, 0, null);
            return;
        }
        if (p.Command.Kind == KvCommandKind.Get)
        {
            RequestReadIndex(member, c);
            return;
        }
        if (node.Propose(p.Command.Encode()) is { } proposed)
        {
            p.Index = proposed.Index;
            return;
        }
        if (c.Pinned != 0 && ForwardToLeader(member, p.Command) is { } forwarded)
        {
            p.Index = forwarded;
            return;
        }
        Refused(c, "not leader", node.Leader);
    }

    private void ProposeHeldRequests(SimulatedMember member)
    {
        for (var i = 0; i < _heldRequests.Count; i++)
        {
            var (m, c, request) = _heldRequests[i];
            if (m != member)
            {
                continue;
            }
            _heldRequests.RemoveAt(i--);
            if (c.Pending == request)
            {
                Propose(member, c);
            }
            else if (request.Command.Kind != KvCommandKind.Get)
            {
                // The client gave up, but the stale request still reaches the member and may commit; its history
                // entry is already indeterminate (or dropped, for a read), so the outcome is ignored.
                member.Node!.Propose(request.Command.Encode());
            }
        }
    }

    /// <summary>The request definitely did not happen (never proposed): it leaves no trace in the history.</summary>
    private void Refused(SimulatedClient c, string why, ulong hint)
    {
        var p = c.Pending;
        c.Pending = null;
        c.LeaderGuess = c.Pinned != 0 ? c.Pinned : hint != RaftNode.None ? hint : RandomLiveMember(_clientRandom).Id;
        c.NextTick = _now + 1 + _clientRandom.Next(3);
        if (p is not null)
        {
            _trace.Event(_now, $"client {c.Id}: {p.Command} refused ({why}); next try member {c.LeaderGuess}");
        }
    }

    private void OnMemberGone(SimulatedMember member)
    {
        _heldRequests.RemoveAll(h => h.Member == member);
    }

    private void OnClientEntryApplied(SimulatedMember member, Entry entry, KvResult? result)
    {
        foreach (var c in _clients)
        {
            MatchApplied(c, member, entry, result);
        }
        MatchApplied(_tombstoneClient, member, entry, result);
        if (_probe is { } probe)
        {
            MatchApplied(probe, member, entry, result);
        }
    }

    private void MatchApplied(SimulatedClient c, SimulatedMember member, Entry entry, KvResult? result)
    {
        if (c.Pending is not { } p || p.Member != member.Id || p.Incarnation != member.Incarnation || p.Index != entry.Index)
        {
            return;
        }
        if (result is { } r && r.RequestId == p.Command.RequestId)
        {
            Complete(c, r, entry.Index, entry.Term, null);
        }
        else
        {
            // Another entry committed at our index: ours can never commit (log matching), so it did not happen.
            Refused(c, $"entry {entry.Index} overwritten", member.Node?.Leader ?? 0);
        }
    }

    /// <summary>Records the outcome; a null <paramref name="result"/> means unknown (writes stay, reads are dropped).</summary>
    private void Complete(SimulatedClient c, KvResult? result, ulong index, ulong term, string? why)
    {
        var p = c.Pending!;
        c.Pending = null;
        c.NextTick = _now + _clientRandom.Next(4);
        var cmd = p.Command;
        var ret = result is null ? KvOperation.Unknown : ++_clock;
        var label = $"c{c.Id}#{(uint)cmd.RequestId}";
        if (result is not { } r)
        {
            c.LeaderGuess = c.Pinned != 0 ? c.Pinned : RandomLiveMember(_clientRandom).Id;
            _trace.Event(_now, $"client {c.Id}: {cmd} {why}: outcome unknown");
            switch (cmd.Kind)
            {
                case KvCommandKind.Get:
                    return;
                case KvCommandKind.Cas:
                    _history.Add(KvOperation.Cas(cmd.Key, cmd.ExpectedRevision, cmd.Value, false, p.Call, ret) with { Label = label });
                    return;
                case KvCommandKind.PutPair:
                    _history.Add(KvOperation.Put(cmd.Key2, cmd.Value2, p.Call, ret) with { Label = label });
                    break;
                default:
                    break;
            }
            _history.Add(KvOperation.Put(cmd.Key, cmd.Value, p.Call, ret) with { Label = label });
            return;
        }
        _trace.Event(_now, $"client {c.Id}: {cmd} -> {(r.Succeeded ? "ok" : "failed")} rev {r.Revision} value {r.Value ?? "-"}@{r.ModRevision}{(cmd.Kind == KvCommandKind.Get ? (index > 0 ? $" at read index {index}" : " (local read)") : $" at {index}@t{term}")}");
        switch (cmd.Kind)
        {
            case KvCommandKind.Get:
                _history.Add(KvOperation.Get(cmd.Key, r.Value, p.Call, ret, r.ModRevision) with { Label = label });
                c.LastRevision[cmd.Key] = r.ModRevision;
                return;
            case KvCommandKind.Cas:
                _history.Add(KvOperation.Cas(cmd.Key, cmd.ExpectedRevision, cmd.Value, r.Succeeded, p.Call, ret, r.Revision) with { Label = label });
                c.LastRevision[cmd.Key] = r.Succeeded ? r.Revision : r.ModRevision;
                break;
            case KvCommandKind.PutPair:
                _history.Add(KvOperation.Put(cmd.Key2, cmd.Value2, p.Call, ret, r.Revision) with { Label = label });
                c.LastRevision[cmd.Key2] = r.Revision;
                goto default;
            default:
                _history.Add(KvOperation.Put(cmd.Key, cmd.Value, p.Call, ret, r.Revision) with { Label = label });
                c.LastRevision[cmd.Key] = r.Revision;
                break;
        }
        if (r.Succeeded && index > 0)
        {
            _monitor.OnAcknowledged(index, term, cmd.RequestId);
            if (c != _tombstoneClient)
            {
                OnWriteAcknowledged(p.Member, p.Sent, label, c == _probe);
            }
        }
        if (c == _tombstoneClient)
        {
            _tombstoneAcknowledged = true;
        }
    }
}
