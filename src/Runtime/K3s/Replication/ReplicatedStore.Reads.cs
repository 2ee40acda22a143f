using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication;

internal sealed partial class ReplicatedStore
{
    public async Task<RangeResult> RangeAsync(RangeQuery query, CancellationToken cancellationToken)
    {
        TxnValidation.ValidateRange(query);
        await BarrierAsync(query.Serializable, cancellationToken).ConfigureAwait(false);
        lock (_stateGate)
        {
            return _state.Range(query);
        }
    }

    public async Task<StoreHash> HashKvAsync(long revision, CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        lock (_stateGate)
        {
            return _state.HashKv(revision);
        }
    }

    public Task<StoreStatus> StatusAsync(CancellationToken cancellationToken)
    {
        long size;
        using (var counter = new ByteCounter())
        {
            lock (_stateGate)
            {
                _state.WriteSnapshot(counter);
            }

            size = counter.Length;
        }

        lock (_stateGate)
        {
            return Task.FromResult(new StoreStatus(_state.Revision, _state.CompactRevision, size, size, Host.MemberId, Host.ClusterId, Host.Name));
        }
    }

    /// <summary>Writes this member's state (etcd's snapshot save streams the member's database the same way).</summary>
    public Task SnapshotAsync(Stream destination, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        lock (_stateGate)
        {
            _state.WriteSnapshot(buffer);
        }

        buffer.Position = 0;
        return buffer.CopyToAsync(destination, cancellationToken);
    }

    /// <summary>The state lives in memory and the log is compacted by snapshots: there is nothing to defragment.</summary>
    public Task DefragmentAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Makes a read linearizable (etcd's default): confirms through ReadIndex that this member's copy includes every
    /// write acknowledged before the read began. Serializable reads skip it and may be stale.
    /// </summary>
    private Task BarrierAsync(bool serializable, CancellationToken cancellationToken)
    {
        if (serializable)
        {
            return Task.CompletedTask;
        }

        ThrowIfLearner();
        return Host.ReadBarrierAsync(cancellationToken);
    }

    /// <summary>Counts bytes written, to size the state without keeping a copy.</summary>
    private sealed class ByteCounter : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
    }
}
