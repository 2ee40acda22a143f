using System.Runtime.InteropServices;

namespace K3sLab.K3s.Kubelet.Stats;

/// <summary>
/// Measures the node and its containers from <c>/proc</c> and the node's cgroup. A container here is a session of
/// processes (each container leads its own, see <c>ProcessRuntime</c>), so its CPU time is the sum over the
/// session's live processes of their own time and that of the children they reaped, and its working set the sum of
/// their resident pages. The node is its own cgroup when it has one (a node that is itself a container reads its
/// container's usage, cgroup v2 then v1), else the whole machine from <c>/proc/stat</c> and <c>/proc/meminfo</c>.
/// Thread-safe; each call reads afresh.
/// </summary>
internal sealed partial class ResourceUsageReader(string procRoot = "/proc", string cgroupRoot = "/sys/fs/cgroup")
{
    private const int ScClockTicks = 2;

    private static readonly long TicksPerSecond = Math.Max(1, SysConf(ScClockTicks));

    public NodeUsage ReadNode(DateTimeOffset now)
    {
        var cpu = Read(Path.Combine(cgroupRoot, "cpu.stat")) is { } v2 ? NodeUsageFiles.CpuSecondsV2(v2) : null;
        var memory = Read(Path.Combine(cgroupRoot, "memory.current")) is { } current && Read(Path.Combine(cgroupRoot, "memory.stat")) is { } stat2
            ? NodeUsageFiles.WorkingSetV2(current, stat2)
            : null;
        var source = "cgroup v2";
        if (cpu is null || memory is null)
        {
            cpu = (Read(Path.Combine(cgroupRoot, "cpuacct", "cpuacct.usage")) ?? Read(Path.Combine(cgroupRoot, "cpu,cpuacct", "cpuacct.usage"))) is { } v1 ? NodeUsageFiles.CpuSecondsV1(v1) : null;
            memory = Read(Path.Combine(cgroupRoot, "memory", "memory.usage_in_bytes")) is { } usage && Read(Path.Combine(cgroupRoot, "memory", "memory.stat")) is { } stat1
                ? NodeUsageFiles.WorkingSetV1(usage, stat1)
                : null;
            source = "cgroup v1";
        }

        if (cpu is null || memory is null)
        {
            cpu = Read(Path.Combine(procRoot, "stat")) is { } procStat ? NodeUsageFiles.CpuSecondsProc(procStat, TicksPerSecond) : null;
            memory = Read(Path.Combine(procRoot, "meminfo")) is { } meminfo ? NodeUsageFiles.WorkingSetProc(meminfo) : null;
            source = "/proc";
        }

        return new NodeUsage(cpu ?? 0, memory ?? 0, now, source);
    }

    /// <summary>The usage of each container still running; one whose session has no process left is left out.</summary>
    public IReadOnlyList<ContainerUsage> ReadContainers(IReadOnlyList<RunningContainer> containers, DateTimeOffset now)
    {
        if (containers.Count == 0)
        {
            return [];
        }

        var sessions = containers.Select(c => c.Pid).ToHashSet();
        var totals = new Dictionary<int, (long Ticks, long Pages)>();
        foreach (var directory in Directory.EnumerateDirectories(procRoot))
        {
            var name = Path.GetFileName(directory.AsSpan());
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || Read(Path.Combine(directory, "stat")) is not { } line || ProcStat.Parse(line) is not { } stat
                || !sessions.Contains(stat.Session))
            {
                continue;
            }

            var (ticks, pages) = totals.GetValueOrDefault(stat.Session);
            totals[stat.Session] = (ticks + stat.CpuTicks + stat.ReapedChildTicks, pages + stat.ResidentPages);
        }

        var pageSize = Environment.SystemPageSize;
        return
        [
            .. containers.Where(c => totals.ContainsKey(c.Pid)).Select(c => new ContainerUsage(
                c.Namespace, c.Pod, c.Container, (double)totals[c.Pid].Ticks / TicksPerSecond, totals[c.Pid].Pages * pageSize, c.StartedAt, now)),
        ];
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
