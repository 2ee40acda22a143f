using K3sLab.K3s.Etcd;
using Wire = K3sLab.K3s.Etcd.Wire;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>Reads, transactions and compaction: etcd's KV service.</summary>
internal sealed partial class EtcdClientStore
{
    private static readonly TimeSpan CompactLookupTimeout = TimeSpan.FromSeconds(2);

    public async Task<RangeResult> RangeAsync(RangeQuery query, CancellationToken cancellationToken)
    {
        var request = WireMapping.ToWire(query);
        var response = await CallAsync("range", idempotent: true, (m, o) => m.Kv.RangeAsync(request, o).ResponseAsync, cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return WireMapping.FromWire(response);
    }

    /// <summary>Every transaction, put and delete included, goes as one etcd Txn; a read-only one may be retried on another member.</summary>
    public async Task<TxnResult> TxnAsync(TxnRequest txn, CancellationToken cancellationToken)
    {
        var request = WireMapping.ToWire(txn);
        var response = await CallAsync("txn", idempotent: !txn.CanWrite, (m, o) => m.Kv.TxnAsync(request, o).ResponseAsync, cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return WireMapping.FromWire(response, response.Header.Revision);
    }

    public async Task<long> CompactAsync(long revision, CancellationToken cancellationToken)
    {
        var request = new Wire.CompactionRequest { Revision = revision };
        var response = await CallAsync("compact", idempotent: true, (m, o) => m.Kv.CompactAsync(request, o).ResponseAsync, cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        ObserveCompacted(revision);
        return response.Header.Revision;
    }

    /// <summary>
    /// etcd's "compacted" error carries no revision, but the API server's 410 names it: a watch from revision 1
    /// is canceled at once with the compacted revision. Falls back to the highest compaction this client saw.
    /// </summary>
    private async Task<StoreException> CompactedAsync(StoreException compacted, CancellationToken cancellationToken)
    {
        var revision = Interlocked.Read(ref _compacted);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CompactLookupTimeout);
        try
        {
            var member = _members.Preferred;
            using var call = member.Watch.Watch(CallOptions(timeout.Token, Timeout.InfiniteTimeSpan));
            var probe = new Wire.WatchCreateRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("compact_rev_key"), StartRevision = 1 };
            await call.RequestStream.WriteAsync(new Wire.WatchRequest { CreateRequest = probe }, timeout.Token).ConfigureAwait(false);
            while (await call.ResponseStream.MoveNext(timeout.Token).ConfigureAwait(false))
            {
                var response = call.ResponseStream.Current;
                if (response.CompactRevision != 0 || response.Canceled || response.Events.Count > 0)
                {
                    revision = Math.Max(revision, response.CompactRevision);
                    break;
                }
            }
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Keep what this client saw; the 410 stays correct, only its message is vaguer.
        }

        ObserveCompacted(revision);
        return new StoreException(StoreError.Compacted, compacted.Message, compacted) { CompactRevision = revision };
    }
}
