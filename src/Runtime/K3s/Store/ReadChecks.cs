namespace K3sLab.K3s.Store;

/// <summary>etcd's revision rules for reads: not older than the compacted revision, not newer than the current one. Pure.</summary>
internal static class ReadChecks
{
    public static void Check(long revision, long current, long compacted)
    {
        if (revision > current)
        {
            throw new StoreException(StoreError.FutureRevision, $"revision {revision} is newer than the store's current revision {current}");
        }

        if (revision < compacted)
        {
            throw new StoreException(StoreError.Compacted, $"revision {revision} has been compacted (compacted revision {compacted})") { CompactRevision = compacted };
        }
    }
}
