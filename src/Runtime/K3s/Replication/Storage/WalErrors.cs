using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>Turns a failed WAL or snapshot write into the store's typed error, with a sentence that says what to do.</summary>
internal static class WalErrors
{
    private const int NoSpaceErrno = 28;
    private const int QuotaErrno = 122;

    /// <summary>
    /// A write of <paramref name="bytes"/> into <paramref name="directory"/> failed. The disk counts as full when the OS said
    /// so or when less than the write is free (.NET reports a failed preallocation without the errno).
    /// </summary>
    public static StoreException ToStore(Exception e, string directory, long bytes, string what)
    {
        if (IsFull(e, directory, bytes))
        {
            return new StoreException(StoreError.NoSpace,
                $"the disk holding {directory} is full; {what} was not acknowledged and the Raft log accepts no more writes. Free space and restart the server", e);
        }

        return new StoreException(StoreError.Unavailable,
            $"writing {directory} failed ({e.Message}); {what} was not acknowledged and the Raft log accepts no more writes. Fix the disk and restart the server", e);
    }

    /// <summary>The error every write after a failed one gets: the first failure's kind and sentence.</summary>
    public static StoreException Stopped(StoreException first) =>
        new(first.Error, $"the Raft log stopped accepting writes after an earlier failure: {first.Message}", first);

    private static bool IsFull(Exception e, string directory, long bytes)
    {
        if (e.HResult is NoSpaceErrno or QuotaErrno)
        {
            return true;
        }

        try
        {
            return new DriveInfo(directory).AvailableFreeSpace < Math.Max(bytes, 4096);
        }
        catch (Exception probe) when (probe is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }
}
