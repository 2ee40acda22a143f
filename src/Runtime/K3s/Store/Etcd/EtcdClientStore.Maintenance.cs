using Wire = K3sLab.K3s.Etcd.Wire;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>Status, hashes, snapshots and defragmentation: etcd's Maintenance service.</summary>
internal sealed partial class EtcdClientStore
{
    /// <summary>The preferred member's status; etcd reports no compacted revision there, so it is the highest this client saw.</summary>
    public async Task<StoreStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var (status, name) = await CallAsync("status", idempotent: true, async (m, o) =>
        {
            var s = await m.Maintenance.StatusAsync(new Wire.StatusRequest(), o).ConfigureAwait(false);
            var members = await m.Cluster.MemberListAsync(new Wire.MemberListRequest(), o).ConfigureAwait(false);
            return (s, members.Members.FirstOrDefault(x => x.ID == s.Header.MemberId)?.Name ?? string.Empty);
        }, cancellationToken).ConfigureAwait(false);
        Observe(status.Header);
        return new StoreStatus(status.Header.Revision, Interlocked.Read(ref _compacted), status.DbSize, status.DbSizeInUse, status.Header.MemberId, status.Header.ClusterId, name);
    }

    public async Task<StoreHash> HashKvAsync(long revision, CancellationToken cancellationToken)
    {
        var request = new Wire.HashKVRequest { Revision = revision };
        var response = await CallAsync("hash", idempotent: true, (m, o) => m.Maintenance.HashKVAsync(request, o).ResponseAsync, cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        ObserveCompacted(response.CompactRevision);

        // etcd 3.4 has no hash_revision yet: the hash covers the revision asked for, or the current one for 0.
        var hashed = response.HashRevision != 0 ? response.HashRevision : revision != 0 ? revision : response.Header.Revision;
        return new StoreHash(response.Hash, hashed, response.CompactRevision);
    }

    /// <summary>The preferred member's snapshot stream, copied as it arrives; another member is tried only while nothing has been written yet.</summary>
    public async Task SnapshotAsync(Stream destination, CancellationToken cancellationToken)
    {
        await CallAsync("snapshot", idempotent: true, async (m, o) =>
        {
            var written = false;
            try
            {
                using var call = m.Maintenance.Snapshot(new Wire.SnapshotRequest(), o.WithDeadline(DateTime.MaxValue));
                while (await call.ResponseStream.MoveNext(o.CancellationToken).ConfigureAwait(false))
                {
                    var chunk = call.ResponseStream.Current;
                    written = true;
                    await destination.WriteAsync(chunk.Blob.Memory, o.CancellationToken).ConfigureAwait(false);
                }
            }
            catch (Grpc.Core.RpcException e) when (written)
            {
                throw new StoreException(StoreError.Unavailable, $"etcd {m.Display}: the snapshot broke off: {EtcdRpcErrors.Classify(e, m.Display).Exception.Message}");
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Defragments every member in turn, as <c>etcdctl defrag --cluster</c> does: the free space is per member.</summary>
    public async Task DefragmentAsync(CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        var members = _members.Current;
        foreach (var member in members)
        {
            try
            {
                await member.Maintenance.DefragmentAsync(new Wire.DefragmentRequest(), CallOptions(cancellationToken, TimeSpan.FromMinutes(5))).ConfigureAwait(false);
            }
            catch (Grpc.Core.RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                failures.Add(EtcdRpcErrors.Classify(e, member.Display).Exception.Message);
            }
        }

        if (failures.Count > 0)
        {
            throw new StoreException(StoreError.Unavailable, $"defragmentation failed on {failures.Count} of {members.Count} members: {string.Join("; ", failures)}");
        }
    }
}
