using Grpc.Core;
using K3sLab.K3s.Replication.Host;
using K3sLab.K3s.Replication.Transport;

namespace K3sLab.K3s.Replication;

/// <summary>
/// A member that restarts from its data at another address (a container that came back with a new IP) is still
/// known to the cluster by the peer URL it had: the others keep sending to it there, so it gets no appends and its
/// own requests find no leader. Like k3s, the member then asks another member's client API to move it (etcd
/// MemberUpdate); once that commits, the others' senders dial the new URL and it catches up.
/// </summary>
internal static partial class PeerUrlRepair
{
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Runs until this member's entry in the replicated member table names <see cref="ReplicatedMemberOptions.AdvertisePeerUrls"/>,
    /// asking once a second, through each other member in turn, until this member has applied the change itself;
    /// ends quietly when <paramref name="cancellationToken"/> fires. An update the cluster already holds is not proposed again.
    /// </summary>
    public static async Task RunAsync(RaftHost host, ReplicatedMemberOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var wanted = options.AdvertisePeerUrls;
        if (wanted.Count == 0)
        {
            return;
        }

        using var channels = new PeerChannels(options.JoinTls);
        var asked = false;
        var next = 0;
        var lastAsk = long.MinValue;
        try
        {
            while (true)
            {
                if (host.Members.Find(host.MemberId) is { } self)
                {
                    if (self.PeerUrls.SequenceEqual(wanted))
                    {
                        if (asked)
                        {
                            Log.Moved(logger, string.Join(",", wanted));
                        }

                        return;
                    }

                    var others = host.Members.List.Where(m => m.Id != host.MemberId && m.ClientUrls.Count > 0).ToList();
                    if (others.Count > 0 && (lastAsk == long.MinValue || TimeProvider.System.GetElapsedTime(lastAsk) >= Retry))
                    {
                        var through = others[next++ % others.Count].ClientUrls[0];
                        if (!asked)
                        {
                            Log.Moving(logger, string.Join(",", self.PeerUrls), string.Join(",", wanted));
                        }

                        asked = true;
                        lastAsk = TimeProvider.System.GetTimestamp();
                        await AskAsync(channels, through, host.MemberId, wanted, logger, cancellationToken).ConfigureAwait(false);
                    }
                }

                // The table fills as the WAL replays, and an accepted change arrives with the next appends: look often,
                // ask at most once a second.
                await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            // The member is stopping.
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            Log.GaveUp(logger, e.Message);
        }
    }

    private static async Task AskAsync(PeerChannels channels, string url, ulong member, IReadOnlyList<string> peerUrls, ILogger logger, CancellationToken cancellationToken)
    {
        var request = new Etcd.Wire.MemberUpdateRequest { ID = member };
        request.PeerURLs.Add(peerUrls);
        try
        {
            var client = new Etcd.Wire.Cluster.ClusterClient(channels.For(url));
            await client.MemberUpdateAsync(request, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            Log.Failed(logger, url, e.StatusCode, e.Status.Detail);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4402, Level = LogLevel.Warning, Message = "This member's peer URL changed from {Before} to {After} (a new address since it last ran): asking the cluster to update its member entry (etcd MemberUpdate)")]
        public static partial void Moving(ILogger logger, string before, string after);

        [LoggerMessage(EventId = 4403, Level = LogLevel.Information, Message = "The cluster now reaches this member at {After}")]
        public static partial void Moved(ILogger logger, string after);

        [LoggerMessage(EventId = 4404, Level = LogLevel.Warning, Message = "Updating this member's peer URL through {Url} failed ({Code}: {Detail}); retrying through the next member in 1 s")]
        public static partial void Failed(ILogger logger, string url, StatusCode code, string detail);

        [LoggerMessage(EventId = 4405, Level = LogLevel.Error, Message = "Stopped updating this member's peer URL: {Reason}; run etcdctl member update to move it by hand")]
        public static partial void GaveUp(ILogger logger, string reason);
    }
}
