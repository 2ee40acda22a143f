using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.State;

internal sealed partial class MvccState
{
    /// <summary>
    /// Records the compaction and discards the history before it at once: of the changes at or below the revision
    /// only each live key's newest survives (a key deleted at or below it loses its whole history up to there), so
    /// reads from the compacted revision on answer as before. Only keys changed since the last compaction are
    /// visited. The result is what the SQLite store holds once its background compaction has caught up.
    /// </summary>
    private long ApplyCompact(long revision)
    {
        if (revision <= CompactRevision)
        {
            throw new StoreException(StoreError.Compacted, $"revision {revision} is already compacted (compacted revision {CompactRevision})") { CompactRevision = CompactRevision };
        }

        if (revision > Revision)
        {
            throw new StoreException(StoreError.FutureRevision, $"cannot compact to revision {revision}, the current revision is {Revision}");
        }

        // Only keys changed since the last compaction can have something to discard; each is visited once. The
        // order of the visits does not matter: each key is cut on its own.
        var touched = new HashSet<byte[]>(ByteKeyComparer.Instance);
        var end = FirstIndexOf(revision + 1);
        for (var i = FirstIndexOf(CompactRevision + 1); i < end; i++)
        {
            touched.Add(_log[i].Key);
        }

        var dropped = 0;
        foreach (var key in touched)
        {
            dropped += Cut(_index.Find(key)!, revision);
        }

        if (dropped > 0)
        {
            _log.RemoveAll(v => v.Dropped);
        }

        CompactRevision = revision;
        return Revision;
    }

    /// <summary>Drops a key's changes that the compaction at <paramref name="revision"/> supersedes; returns how many.</summary>
    private int Cut(KeyHistory history, long revision)
    {
        KeyVersion? newer = null;
        var kept = history.Head;
        while (kept is not null && kept.ModRevision > revision)
        {
            newer = kept;
            kept = kept.Prev;
        }

        if (kept is null)
        {
            return 0;
        }

        var dropped = 0;
        var first = kept.IsTombstone ? kept : kept.Prev;
        for (var v = first; v is not null; v = v.Prev)
        {
            v.Dropped = true;
            dropped++;
        }

        if (kept.IsTombstone)
        {
            if (newer is null)
            {
                _index.Remove(history);
            }
            else
            {
                newer.Prev = null;
            }
        }
        else
        {
            kept.Prev = null;
        }

        return dropped;
    }
}
