using Wire = K3sLab.K3s.Etcd.Wire;

namespace K3sLab.K3s.Store.Etcd;

internal sealed partial class EtcdClientStore
{
    /// <summary>
    /// Every <see cref="EtcdClientOptions.MembershipRefresh"/>, reads the member list and makes the voters' client URLs
    /// the client's endpoints (<see cref="FollowedEndpoints"/>), so a member that joined after this server started is
    /// used when the others fail, and a removed one is no longer called. k3s keeps the list of its
    /// <c>k3s-etcd-server-load-balancer</c> current from the same member list. A failed read changes nothing; the
    /// revision loop already logs a cluster that stops answering.
    /// </summary>
    private async Task FollowMembershipAsync()
    {
        using var timer = new PeriodicTimer(_options.MembershipRefresh);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    var list = await CallAsync("member list", idempotent: true, (m, o) => m.Cluster.MemberListAsync(new Wire.MemberListRequest(), o).ResponseAsync, _stop.Token).ConfigureAwait(false);
                    var followed = FollowedEndpoints([.. _members.Current.Select(m => m.Endpoint)], list.Members);
                    if (_members.Update(followed))
                    {
                        Log.EndpointsChanged(_logger, _members.Describe());
                    }
                }
                catch (StoreException)
                {
                    // Kept as it was; the next tick asks again.
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    /// <summary>
    /// The endpoints to use after a member list: the current ones that still belong to a voter, in their order (so the
    /// preferred member and the order of failover stay put), then the client URLs of voters not yet listed. Learners
    /// are left out, as they serve no consistent reads yet; members without a usable client URL too. An answer that
    /// names no usable voter keeps <paramref name="current"/>.
    /// </summary>
    internal static IReadOnlyList<Uri> FollowedEndpoints(IReadOnlyList<Uri> current, IEnumerable<Wire.Member> members)
    {
        var voters = members
            .Where(m => !m.IsLearner)
            .SelectMany(m => m.ClientURLs.Take(1))
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp) ? url : null)
            .OfType<Uri>()
            .ToList();
        if (voters.Count == 0)
        {
            return current;
        }

        static string Key(Uri u) => u.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
        var voterKeys = voters.Select(Key).ToHashSet(StringComparer.Ordinal);
        var kept = current.Where(u => voterKeys.Contains(Key(u))).ToList();
        var keptKeys = kept.Select(Key).ToHashSet(StringComparer.Ordinal);
        return [.. kept, .. voters.Where(u => keptKeys.Add(Key(u)))];
    }
}
