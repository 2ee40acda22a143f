using System.Runtime.InteropServices;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Signals to a container's whole process group (<c>kill(-pgid, sig)</c>): every container leads its own session
/// and group (see <see cref="ProcessRuntime"/>), so children it forked are stopped with it, as a container
/// runtime stops a container's whole cgroup.
/// </summary>
internal static partial class ProcessGroups
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Sends <paramref name="signal"/> to the group led by <paramref name="pid"/>; false when no process of it is left.</summary>
    public static bool Signal(int pid, int signal) => pid > 1 && Kill(-pid, signal) == 0;

    /// <summary>Whether a process with this id exists (signal 0 probes without signalling).</summary>
    public static bool Exists(int pid) => pid > 0 && Kill(pid, 0) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
