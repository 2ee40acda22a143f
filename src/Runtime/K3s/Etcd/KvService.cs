using Grpc.Core;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Etcd;

/// <summary>etcd's KV service over the store contract: Range, Put, DeleteRange, Txn and Compact.</summary>
internal sealed class KvService(EtcdEndpoint endpoint) : Wire.KV.KVBase
{
    private IRevisionedStore Store => endpoint.Store;

    public override Task<Wire.RangeResponse> Range(Wire.RangeRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var result = await Store.RangeAsync(WireMapping.Query(request), context.CancellationToken).ConfigureAwait(false);
            return WireMapping.RangeResponse(result, endpoint.Header(result.Revision));
        });

    public override Task<Wire.PutResponse> Put(Wire.PutRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            endpoint.CheckSize(request);
            var result = await Store.TxnAsync(TxnRequest.Of(WireMapping.Put(request)), context.CancellationToken).ConfigureAwait(false);
            return WireMapping.PutResponse((PutResult)result.Responses[0], endpoint.Header(result.Revision));
        });

    public override Task<Wire.DeleteRangeResponse> DeleteRange(Wire.DeleteRangeRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            endpoint.CheckSize(request);
            var result = await Store.TxnAsync(TxnRequest.Of(WireMapping.Delete(request)), context.CancellationToken).ConfigureAwait(false);
            return WireMapping.DeleteResponse((DeleteResult)result.Responses[0], endpoint.Header(result.Revision));
        });

    public override Task<Wire.TxnResponse> Txn(Wire.TxnRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            endpoint.CheckSize(request);
            var result = await Store.TxnAsync(WireMapping.Txn(request), context.CancellationToken).ConfigureAwait(false);
            return WireMapping.TxnResponse(result, endpoint.Header(result.Revision));
        });

    public override Task<Wire.CompactionResponse> Compact(Wire.CompactionRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var revision = await Store.CompactAsync(request.Revision, context.CancellationToken).ConfigureAwait(false);
            return new Wire.CompactionResponse { Header = endpoint.Header(revision) };
        });
}
