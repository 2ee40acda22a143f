using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// A member's snapshot directory beside its WAL: one "file" per snapshot index, each with its own fsync, as etcd's
/// snap directory. A written file is durable only after <see cref="Sync"/>; a power loss drops files that were not
/// synced. The WAL names the snapshot to load (its last snapshot record), so the file must be durable before that
/// record is written. Single-threaded.
/// </summary>
internal sealed class SnapshotFiles
{
    private readonly SortedDictionary<ulong, (Snapshot Snapshot, bool Durable)> _files = [];

    /// <summary>Snapshot files written, durable or not.</summary>
    public int Count => _files.Count;

    /// <summary>Writes the file for <paramref name="snapshot"/> (not durable until <see cref="Sync"/>).</summary>
    public void Write(Snapshot snapshot) => _files[snapshot.Index] = (snapshot, false);

    /// <summary>fsync of the file for <paramref name="index"/>.</summary>
    public void Sync(ulong index)
    {
        if (_files.TryGetValue(index, out var f))
        {
            _files[index] = (f.Snapshot, true);
        }
    }

    /// <summary>Power loss: files never synced are gone.</summary>
    public void PowerLoss()
    {
        foreach (var index in _files.Where(f => !f.Value.Durable).Select(f => f.Key).ToList())
        {
            _files.Remove(index);
        }
    }

    /// <summary>The file for (<paramref name="index"/>, <paramref name="term"/>), or null when there is none.</summary>
    public Snapshot? Find(ulong index, ulong term) =>
        _files.TryGetValue(index, out var f) && f.Snapshot.Term == term ? f.Snapshot : null;

    /// <summary>Removes every file below <paramref name="index"/> (older snapshots are never loaded again).</summary>
    public void PurgeBelow(ulong index)
    {
        foreach (var old in _files.Keys.Where(k => k < index).ToList())
        {
            _files.Remove(old);
        }
    }
}
