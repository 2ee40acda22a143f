using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.Replication;

namespace K3sLab.K3s.Server;

/// <summary>
/// Removes a server's datastore member when its Node is deleted, as k3s's etcd member controller does: a deleted
/// Node labelled <c>node-role.kubernetes.io/etcd</c> names its member in the <c>etcd.k3s.cattle.io/node-name</c>
/// annotation (else the member is found by k3s's name form <c>&lt;node&gt;-&lt;8 hex&gt;</c>). Every server sees the
/// deletion; only the datastore leader removes the member, and a leader asked to remove itself first hands
/// leadership to another voter, whose own copy of this loop then removes it. The last voter is never removed.
/// Each deletion is pursued for up to a minute.
/// </summary>
internal sealed partial class EtcdMemberRemoval : IAsyncDisposable
{
    public const string EtcdRole = "node-role.kubernetes.io/etcd";
    public const string MemberNameAnnotation = "etcd.k3s.cattle.io/node-name";
    public const string MemberAddressAnnotation = "etcd.k3s.cattle.io/node-address";

    private static readonly ResourceKind Nodes = new(string.Empty, "nodes", false);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    private readonly RaftCluster _cluster;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Task> _removals = [];
    private ObjectCache? _nodes;

    private EtcdMemberRemoval(RaftCluster cluster, TimeProvider time, ILogger logger) => (_cluster, _time, _logger) = (cluster, time, logger);

    public static async Task<EtcdMemberRemoval> StartAsync(ObjectStorage storage, RaftCluster cluster, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var removal = new EtcdMemberRemoval(cluster, time, logger);
        removal._nodes = await ObjectCache.StartAsync(storage, Nodes, logger, removal.OnNodeChanged, cancellationToken);
        return removal;
    }

    /// <summary>The member a deleted Node stood for, or null when it was not a datastore server's Node.</summary>
    internal static string? MemberNameOf(JsonObject node, IEnumerable<string> memberNames)
    {
        var metadata = node["metadata"];
        if (metadata?["labels"]?[EtcdRole]?.GetValue<string>() != "true")
        {
            return null;
        }

        if (metadata["annotations"]?[MemberNameAnnotation]?.GetValue<string>() is { Length: > 0 } annotated)
        {
            return annotated;
        }

        var prefix = metadata["name"]?.GetValue<string>() + "-";
        return memberNames.FirstOrDefault(m => m.StartsWith(prefix, StringComparison.Ordinal) && m.Length == prefix.Length + 8
            && m.AsSpan(prefix.Length).ContainsAnyExcept("0123456789abcdef") is false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_nodes is not null)
        {
            await _nodes.DisposeAsync();
        }

        Task[] pending;
        lock (_gate)
        {
            pending = [.. _removals];
        }

        await Task.WhenAll(pending);
        _stop.Dispose();
    }

    private void OnNodeChanged(string key, JsonObject? before, JsonObject? after)
    {
        if (before is null || after is not null || MemberNameOf(before, _cluster.Members().Select(m => m.Name)) is not { } member)
        {
            return;
        }

        lock (_gate)
        {
            _removals.RemoveAll(t => t.IsCompleted);
            _removals.Add(Task.Run(() => RemoveAsync(key.TrimStart('/'), member, _stop.Token)));
        }
    }

    private async Task RemoveAsync(string node, string memberName, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        try
        {
            while (_time.GetElapsedTime(started) < GiveUpAfter)
            {
                var members = _cluster.Members();
                if (members.FirstOrDefault(m => m.Name == memberName) is not { } target)
                {
                    return;
                }

                var voters = members.Where(m => !m.IsLearner).ToList();
                if (voters.Count == 1 && voters[0].Id == target.Id)
                {
                    Log.LastVoter(_logger, memberName, node);
                    return;
                }

                if (_cluster.Leader == _cluster.MemberId)
                {
                    try
                    {
                        if (target.Id == _cluster.MemberId)
                        {
                            var successor = voters.First(v => v.Id != target.Id);
                            Log.HandingOver(_logger, memberName, successor.Name);
                            await _cluster.MoveLeaderAsync(successor.Id, ct);
                        }
                        else
                        {
                            await _cluster.RemoveMemberAsync(target.Id, ct);
                            Log.Removed(_logger, memberName, node);
                            return;
                        }
                    }
                    catch (Exception e) when (e is Etcd.EtcdRequestException or Store.StoreException)
                    {
                        Log.Failed(_logger, memberName, e.Message);
                    }
                }

                await Task.Delay(Retry, _time, ct);
            }

            Log.GaveUp(_logger, memberName, node);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1310, Level = LogLevel.Information, Message = "Removed datastore member {Member}: its Node {Node} was deleted")]
        public static partial void Removed(ILogger logger, string member, string node);

        [LoggerMessage(EventId = 1311, Level = LogLevel.Information, Message = "Moving datastore leadership to {Successor} before removing this server's member {Member}")]
        public static partial void HandingOver(ILogger logger, string member, string successor);

        [LoggerMessage(EventId = 1312, Level = LogLevel.Warning, Message = "Not removing datastore member {Member} of deleted Node {Node}: it is the last voting member")]
        public static partial void LastVoter(ILogger logger, string member, string node);

        [LoggerMessage(EventId = 1313, Level = LogLevel.Warning, Message = "Removing datastore member {Member} failed, retrying: {Reason}")]
        public static partial void Failed(ILogger logger, string member, string reason);

        [LoggerMessage(EventId = 1314, Level = LogLevel.Warning, Message = "Gave up removing datastore member {Member} of deleted Node {Node} after a minute; remove it with etcdctl member remove")]
        public static partial void GaveUp(ILogger logger, string member, string node);
    }
}
