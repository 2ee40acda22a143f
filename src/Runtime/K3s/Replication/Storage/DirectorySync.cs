using System.Runtime.InteropServices;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// fsync of a directory, so a file created, renamed or deleted in it survives a power cut. .NET refuses to open a
/// directory as a file handle, so this opens it with libc (source-generated P/Invoke, NativeAOT-safe).
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000;

    /// <summary>Makes the directory's entries durable; throws <see cref="IOException"/> with the errno if the OS fails.</summary>
    public static void Fsync(string directory)
    {
        var fd = Open(directory, ReadOnly | CloseOnExec);
        if (fd < 0)
        {
            throw Failure("open", directory);
        }

        try
        {
            if (FsyncFd(fd) != 0)
            {
                throw Failure("fsync", directory);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static IOException Failure(string call, string directory)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} of directory {directory} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncFd(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
