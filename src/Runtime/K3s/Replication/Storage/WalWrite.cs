using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>One caller's records waiting for the writer; completed once they are on disk, or failed with the batch.</summary>
internal sealed class WalWrite(HardState? hardState, IReadOnlyList<WalEntry> entries, SnapshotMarker? marker)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HardState? HardState { get; } = hardState;

    public IReadOnlyList<WalEntry> Entries { get; } = entries;

    public SnapshotMarker? Marker { get; } = marker;

    public Task Task => _done.Task;

    public void Complete() => _done.TrySetResult();

    public void Fail(Exception e) => _done.TrySetException(e);
}
