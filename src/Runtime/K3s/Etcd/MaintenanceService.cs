using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;

namespace K3sLab.K3s.Etcd;

/// <summary>
/// etcd's Maintenance service: Status, HashKV, Hash, Snapshot, Defragment and an empty alarm list. The version
/// reported is the etcd API level whose watch progress semantics this store implements (progress marks only after
/// every earlier event was delivered), which is what the kube-apiserver checks before it serves consistent reads
/// from its cache.
/// </summary>
internal sealed class MaintenanceService(EtcdEndpoint endpoint) : Wire.Maintenance.MaintenanceBase
{
    public const string ReportedVersion = "3.5.13";
    private const int SnapshotChunkBytes = 32 * 1024;

    public override Task<Wire.StatusResponse> Status(Wire.StatusRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var status = await endpoint.Store.StatusAsync(context.CancellationToken).ConfigureAwait(false);
            var cluster = endpoint.Cluster;
            var (index, applied) = cluster.RaftIndexes;
            var response = new Wire.StatusResponse
            {
                Header = endpoint.Header(status.Revision),
                Version = ReportedVersion,
                DbSize = status.DbSizeBytes,
                DbSizeInUse = status.DbSizeInUseBytes,
                Leader = cluster.Leader,
                RaftIndex = index,
                RaftAppliedIndex = applied,
                RaftTerm = cluster.RaftTerm,
                IsLearner = cluster.IsLearner,
            };
            if (cluster.Leader == 0)
            {
                // etcdctl endpoint status prints these; etcd fills them the same way when it has lost its leader.
                response.Errors.Add("etcdserver: no leader");
            }

            return response;
        });

    public override Task<Wire.HashKVResponse> HashKV(Wire.HashKVRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var hash = await endpoint.Store.HashKvAsync(request.Revision, context.CancellationToken).ConfigureAwait(false);
            return new Wire.HashKVResponse { Header = endpoint.Header(endpoint.Store.CurrentRevision), Hash = hash.Hash, CompactRevision = hash.CompactRevision, HashRevision = hash.HashRevision };
        });

    public override Task<Wire.HashResponse> Hash(Wire.HashRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var hash = await endpoint.Store.HashKvAsync(0, context.CancellationToken).ConfigureAwait(false);
            return new Wire.HashResponse { Header = endpoint.Header(endpoint.Store.CurrentRevision), Hash = hash.Hash };
        });

    public override Task<Wire.AlarmResponse> Alarm(Wire.AlarmRequest request, ServerCallContext context) =>
        request.Action == Wire.AlarmRequest.Types.AlarmAction.Get
            ? Task.FromResult(new Wire.AlarmResponse { Header = endpoint.Header(endpoint.Store.CurrentRevision) })
            : throw EtcdErrors.NotSupported("raising or clearing alarms");

    public override Task<Wire.DefragmentResponse> Defragment(Wire.DefragmentRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            await endpoint.Store.DefragmentAsync(context.CancellationToken).ConfigureAwait(false);
            return new Wire.DefragmentResponse { Header = endpoint.Header(endpoint.Store.CurrentRevision) };
        });

    /// <summary>
    /// Snapshot data is padded with zeros to a multiple of this, as etcd's page-aligned database is: etcdctl decides
    /// that a stream ends with a SHA-256 by its length (a multiple of 512, plus 32) and refuses the file otherwise.
    /// </summary>
    public const int SnapshotAlignment = 512;

    /// <summary>The zero bytes that align <paramref name="length"/> bytes of snapshot data.</summary>
    public static int SnapshotPadding(long length) => (int)((SnapshotAlignment - length % SnapshotAlignment) % SnapshotAlignment);

    /// <summary>Streams a consistent copy of the database (padded, see <see cref="SnapshotAlignment"/>) followed by its SHA-256, as etcd ends its snapshot stream.</summary>
    public override async Task Snapshot(Wire.SnapshotRequest request, IServerStreamWriter<Wire.SnapshotResponse> responseStream, ServerCallContext context)
    {
        var file = Path.GetTempFileName();
        try
        {
            await using (var copy = File.Create(file))
            {
                await endpoint.Store.SnapshotAsync(copy, context.CancellationToken).ConfigureAwait(false);
                copy.Write(new byte[SnapshotPadding(copy.Length)]);
            }

            await using var data = File.OpenRead(file);
            var sha = await SHA256.HashDataAsync(data, context.CancellationToken).ConfigureAwait(false);
            data.Position = 0;
            var remaining = (ulong)(data.Length + sha.Length);
            var buffer = new byte[SnapshotChunkBytes];
            var header = endpoint.Header(endpoint.Store.CurrentRevision);
            int read;
            while ((read = await data.ReadAsync(buffer, context.CancellationToken).ConfigureAwait(false)) > 0)
            {
                remaining -= (ulong)read;
                await responseStream.WriteAsync(new Wire.SnapshotResponse { Header = header, RemainingBytes = remaining, Blob = ByteString.CopyFrom(buffer, 0, read), Version = ReportedVersion }, context.CancellationToken).ConfigureAwait(false);
            }

            await responseStream.WriteAsync(new Wire.SnapshotResponse { Header = header, RemainingBytes = 0, Blob = ByteString.CopyFrom(sha), Version = ReportedVersion }, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw EtcdErrors.ToRpc(e);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public override Task<Wire.MoveLeaderResponse> MoveLeader(Wire.MoveLeaderRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            await endpoint.Cluster.MoveLeaderAsync(request.TargetID, context.CancellationToken).ConfigureAwait(false);
            return new Wire.MoveLeaderResponse { Header = endpoint.Header(endpoint.Store.CurrentRevision) };
        });
}
