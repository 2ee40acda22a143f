using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// fdatasync(2) on a WAL segment: flushes the file's data and the metadata needed to read it back (its length, its
/// block map), but not its timestamps. Every append to a segment changes its modification time, so an fsync of an
/// append also writes the inode and commits the file system's journal; an fdatasync of an append into a preallocated,
/// zero-filled segment flushes the data alone. etcd syncs its WAL the same way on Linux.
/// </summary>
/// <remarks>
/// Measured on this project's machine (2026-12-05, a Python loop of 2 KiB writes into a zero-filled 4 MiB file, one
/// sync each): fdatasync p50 267-273 µs, fsync 385-420 µs. In the replicated store's bench (three runs each way, same
/// binary), our 1-client puts/s were 350-521 with it against 363-417 with fsync, and at 200 clients 3,518-4,522
/// against 3,333-4,097. Where the file system refuses fdatasync (EINVAL), the file is fsynced instead.
/// </remarks>
internal static partial class DataSync
{
    private const int InvalidArgument = 22;

    public static void Flush(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (Fdatasync((int)handle.DangerousGetHandle()) == 0)
            {
                return;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != InvalidArgument)
            {
                throw new IOException($"fdatasync failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        RandomAccess.FlushToDisk(handle);
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);
}
