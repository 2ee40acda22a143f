using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// A member's disk: what was written versus what was fsynced. Power loss keeps only synced state.
/// Torn last writes are not modelled yet.
/// </summary>
internal sealed class SimulatedDisk
{
    private readonly List<Entry> _synced = [];
    private HardState _syncedHardState;
    private List<Entry>? _written;
    private HardState _writtenHardState;

    public HardState HardState => _syncedHardState;
    public IReadOnlyList<Entry> Log => _synced;

    /// <summary>Writes without syncing: entries overwrite the stored suffix from their first index.</summary>
    public void Write(HardState? hardState, IReadOnlyList<Entry> entries)
    {
        if (_written is null)
        {
            _written = [.. _synced];
            _writtenHardState = _syncedHardState;
        }
        if (hardState is { } hs)
        {
            _writtenHardState = hs;
        }
        if (entries.Count > 0)
        {
            var from = (int)entries[0].Index - 1;
            if (from < _written.Count)
            {
                _written.RemoveRange(from, _written.Count - from);
            }
            _written.AddRange(entries);
        }
    }

    public void Sync()
    {
        if (_written is null)
        {
            return;
        }
        _synced.Clear();
        _synced.AddRange(_written);
        _syncedHardState = _writtenHardState;
        _written = null;
        _writtenHardState = default;
    }

    /// <summary>Power loss: unsynced writes are gone.</summary>
    public void PowerLoss()
    {
        _written = null;
        _writtenHardState = default;
    }
}
