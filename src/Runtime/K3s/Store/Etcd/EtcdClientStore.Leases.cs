using Wire = K3sLab.K3s.Etcd.Wire;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>Leases map one to one onto etcd's Lease service; a keep-alive is one request on its own short stream, as <c>etcdctl lease keep-alive --once</c> sends it.</summary>
internal sealed partial class EtcdClientStore
{
    public async Task<LeaseGrant> GrantLeaseAsync(long id, long ttlSeconds, CancellationToken cancellationToken)
    {
        var request = new Wire.LeaseGrantRequest { ID = id, TTL = ttlSeconds };

        // A grant with an ID the client chose is safe to repeat; a grant of a server-chosen ID would leave a stray lease.
        var response = await CallAsync("lease grant", idempotent: id != 0, (m, o) => m.Lease.LeaseGrantAsync(request, o).ResponseAsync, cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return response.Error.Length == 0
            ? new LeaseGrant(response.ID, response.TTL)
            : throw new StoreException(StoreError.Unavailable, $"etcd refused the lease: {response.Error}");
    }

    public async Task<long> RevokeLeaseAsync(long id, CancellationToken cancellationToken)
    {
        var request = new Wire.LeaseRevokeRequest { ID = id };
        var response = await CallAsync("lease revoke", idempotent: false, (m, o) => m.Lease.LeaseRevokeAsync(request, o).ResponseAsync, cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return response.Header.Revision;
    }

    public async Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken)
    {
        var response = await CallAsync("lease keep-alive", idempotent: true, async (m, o) =>
        {
            using var call = m.Lease.LeaseKeepAlive(o);
            await call.RequestStream.WriteAsync(new Wire.LeaseKeepAliveRequest { ID = id }, o.CancellationToken).ConfigureAwait(false);
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            return await call.ResponseStream.MoveNext(o.CancellationToken).ConfigureAwait(false)
                ? call.ResponseStream.Current
                : throw new StoreException(StoreError.Unavailable, $"etcd {m.Display}: the keep-alive stream closed without an answer");
        }, cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return response.TTL;
    }

    public async Task<LeaseStatus?> TimeToLiveAsync(long id, bool withKeys, CancellationToken cancellationToken)
    {
        var request = new Wire.LeaseTimeToLiveRequest { ID = id, Keys = withKeys };
        var response = await CallAsync("lease time-to-live", idempotent: true, (m, o) => m.Lease.LeaseTimeToLiveAsync(request, o).ResponseAsync, cancellationToken).ConfigureAwait(false);
        Observe(response.Header);

        // etcd answers an unknown lease with TTL -1 rather than an error.
        return response.TTL == -1 ? null : new LeaseStatus(response.ID, response.TTL, response.GrantedTTL, [.. response.Keys.Select(k => k.ToByteArray())]);
    }

    public async Task<IReadOnlyList<long>> LeasesAsync(CancellationToken cancellationToken)
    {
        var response = await CallAsync("lease list", idempotent: true, (m, o) => m.Lease.LeaseLeasesAsync(new Wire.LeaseLeasesRequest(), o).ResponseAsync, cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return [.. response.Leases.Select(l => l.ID)];
    }
}
