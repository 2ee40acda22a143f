using Grpc.Core;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Replication.Transport;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication;

/// <summary>
/// k3s's join, against any member's client API: add this member as a learner (etcd MemberAdd), retrying every
/// second while the cluster answers "too many learner members in cluster" or "unhealthy cluster" or cannot be
/// reached, as k3s does; any other answer ends the join with its message.
/// </summary>
internal static partial class ClusterJoin
{
    public sealed record Joined(ulong MemberId, ulong ClusterId, IReadOnlyList<ClusterMember> Members);

    public static async Task<Joined> AddAsLearnerAsync(string joinUrl, string name, IReadOnlyList<string> peerUrls, PeerTlsOptions? tls, TimeSpan timeout, ILogger logger, CancellationToken cancellationToken)
    {
        using var channels = new PeerChannels(tls);
        var client = new Etcd.Wire.Cluster.ClusterClient(channels.For(joinUrl));
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            try
            {
                var list = await client.MemberListAsync(new Etcd.Wire.MemberListRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (list.Members.Any(m => m.Name == name))
                {
                    throw new StoreException(StoreError.Unavailable, $"duplicate node name found, please use a unique name for this node: the cluster behind {joinUrl} already has a member named {name}");
                }

                var request = new Etcd.Wire.MemberAddRequest { IsLearner = true };
                request.PeerURLs.Add(peerUrls);
                var response = await client.MemberAddAsync(request, deadline: DateTime.UtcNow.AddSeconds(20), cancellationToken: cancellationToken).ConfigureAwait(false);
                var members = response.Members.Select(m => new ClusterMember(m.ID, m.Name, [.. m.PeerURLs], [.. m.ClientURLs], m.IsLearner)).ToList();
                Log.Added(logger, response.Member.ID, response.Header.ClusterId, joinUrl);
                return new Joined(response.Member.ID, response.Header.ClusterId, members);
            }
            catch (RpcException e) when (Retryable(e) && DateTimeOffset.UtcNow < deadline)
            {
                Log.Retrying(logger, joinUrl, e.Status.Detail);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw new StoreException(StoreError.Unavailable, $"etcd cluster join failed: {joinUrl} answered {e.Status.StatusCode}: {e.Status.Detail}");
            }
        }
    }

    private static bool Retryable(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
        || e.Status.Detail.Contains("too many learner members in cluster", StringComparison.Ordinal)
        || e.Status.Detail.Contains("unhealthy cluster", StringComparison.Ordinal);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4300, Level = LogLevel.Information, Message = "Added as learner {Member:x16} of cluster {Cluster:x16} through {Url}")]
        public static partial void Added(ILogger logger, ulong member, ulong cluster, string url);

        [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Join through {Url} must wait: {Reason}; retrying in 1 s")]
        public static partial void Retrying(ILogger logger, string url, string reason);
    }
}
