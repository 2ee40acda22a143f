using System.Globalization;

namespace K3sLab.K3s.Kubelet.Stats;

/// <summary>
/// Reads the node's usage out of the kernel's text files, as cAdvisor does for the kubelet's node metrics. Pure:
/// each method takes the files' contents. The working set is usage minus inactive file pages (what the kernel can
/// drop at once), the figure <c>kubectl top node</c> shows.
/// </summary>
internal static class NodeUsageFiles
{
    /// <summary>cgroup v2 <c>cpu.stat</c>: <c>usage_usec</c> in seconds.</summary>
    public static double? CpuSecondsV2(string cpuStat) => Field(cpuStat, "usage_usec") is { } usec ? usec / 1e6 : null;

    /// <summary>cgroup v1 <c>cpuacct.usage</c>: nanoseconds, in seconds.</summary>
    public static double? CpuSecondsV1(string cpuacctUsage) =>
        long.TryParse(cpuacctUsage.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ns) ? ns / 1e9 : null;

    /// <summary>
    /// The first line of <c>/proc/stat</c>: user, nice, system, irq, softirq and steal ticks (not idle or iowait),
    /// in seconds.
    /// </summary>
    public static double? CpuSecondsProc(string procStat, long ticksPerSecond)
    {
        var line = procStat.AsSpan(0, procStat.IndexOf('\n') is var end and >= 0 ? end : procStat.Length).ToString();
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9 || fields[0] != "cpu")
        {
            return null;
        }

        long busy = 0;
        foreach (var index in (int[])[1, 2, 3, 6, 7, 8])
        {
            if (!long.TryParse(fields[index], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
            {
                return null;
            }

            busy += ticks;
        }

        return (double)busy / ticksPerSecond;
    }

    /// <summary>cgroup v2: <c>memory.current</c> less <c>inactive_file</c> of <c>memory.stat</c>, never below 0.</summary>
    public static long? WorkingSetV2(string memoryCurrent, string memoryStat) =>
        long.TryParse(memoryCurrent.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var usage)
            ? Math.Max(0, usage - (Field(memoryStat, "inactive_file") ?? 0))
            : null;

    /// <summary>cgroup v1: <c>memory.usage_in_bytes</c> less <c>total_inactive_file</c> of <c>memory.stat</c>.</summary>
    public static long? WorkingSetV1(string usageInBytes, string memoryStat) =>
        long.TryParse(usageInBytes.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var usage)
            ? Math.Max(0, usage - (Field(memoryStat, "total_inactive_file") ?? 0))
            : null;

    /// <summary><c>/proc/meminfo</c>: MemTotal less MemAvailable (kB), in bytes.</summary>
    public static long? WorkingSetProc(string meminfo)
    {
        long? total = null, available = null;
        foreach (var line in meminfo.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
            {
                if (parts[0] == "MemTotal:")
                {
                    total = kb;
                }
                else if (parts[0] == "MemAvailable:")
                {
                    available = kb;
                }
            }
        }

        return total is { } t && available is { } a ? Math.Max(0, t - a) * 1024 : null;
    }

    /// <summary>The value of <paramref name="key"/> in a flat-keyed file (<c>key value</c> per line).</summary>
    private static long? Field(string text, string key)
    {
        foreach (var line in text.Split('\n'))
        {
            var space = line.IndexOf(' ');
            if (space > 0 && line.AsSpan(0, space).SequenceEqual(key)
                && long.TryParse(line.AsSpan(space + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }
}
