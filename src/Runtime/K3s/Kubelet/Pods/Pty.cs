using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A pseudo-terminal for <c>exec -t</c>: the master end stays here (read the terminal's output, write its input,
/// set its size), the slave end is named by <see cref="SlavePath"/> for the command to open as its stdin, stdout
/// and stderr. Linux only (posix_openpt, TIOCSWINSZ).
/// </summary>
internal sealed partial class Pty : IDisposable
{
    private const int ORdWr = 2;
    private const int ONoCtty = 0x100;
    private const int OCloExec = 0x80000;
    private const ulong TiocSWinSz = 0x5414;

    private Pty(SafeFileHandle master, string slavePath)
    {
        Master = master;
        SlavePath = slavePath;
    }

    public SafeFileHandle Master { get; }

    public string SlavePath { get; }

    /// <exception cref="IOException">No pseudo-terminal could be allocated.</exception>
    public static Pty Open()
    {
        var fd = PosixOpenPt(ORdWr | ONoCtty | OCloExec);
        if (fd < 0)
        {
            throw new IOException($"posix_openpt failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var master = new SafeFileHandle(fd, ownsHandle: true);
        var name = new byte[128];
        if (GrantPt(fd) != 0 || UnlockPt(fd) != 0 || PtsNameR(fd, name, (nuint)name.Length) != 0)
        {
            master.Dispose();
            throw new IOException($"cannot unlock the pseudo-terminal: errno {Marshal.GetLastPInvokeError()}");
        }

        return new Pty(master, System.Text.Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0)));
    }

    /// <summary>Sets the terminal's size; the foreground process group gets SIGWINCH.</summary>
    public void Resize(ushort columns, ushort rows)
    {
        Span<ushort> size = [rows, columns, 0, 0];
        _ = IoctlWinSize((int)Master.DangerousGetHandle(), TiocSWinSz, ref MemoryMarshal.GetReference(size));
    }

    public void Dispose() => Master.Dispose();

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int PosixOpenPt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int GrantPt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int UnlockPt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    private static partial int PtsNameR(int fd, [Out] byte[] buffer, nuint length);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlWinSize(int fd, ulong request, ref ushort winsize);
}
