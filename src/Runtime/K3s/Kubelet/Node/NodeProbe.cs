using System.Globalization;
using System.Runtime.InteropServices;

namespace K3sLab.K3s.Kubelet.Node;

/// <summary>
/// Reads <see cref="NodeFacts"/> from Linux: <c>/proc/meminfo</c>, the cgroup's <c>memory.max</c> and <c>cpu.max</c>
/// (v2) or their v1 equivalents, statfs of the data dir, <c>/proc/loadavg</c>'s process count and
/// <c>/proc/sys/kernel/pid_max</c>, <c>/etc/os-release</c>, the kernel release and machine/boot ids.
/// Anything unreadable falls back to a neutral value, never an exception.
/// </summary>
internal static class NodeProbe
{
    public static NodeFacts Read(string dataDirectory)
    {
        var memInfo = ReadMemInfo();
        var memTotal = memInfo.GetValueOrDefault("MemTotal");
        var memory = Math.Min(memTotal, CgroupMemoryLimit() ?? long.MaxValue);
        var available = Math.Min(memInfo.GetValueOrDefault("MemAvailable"), memory);
        var cpus = Math.Min(Environment.ProcessorCount, CgroupCpuLimit() ?? int.MaxValue);
        Directory.CreateDirectory(dataDirectory);
        long disk = 0, diskFree = 0;
        try
        {
            var drive = new DriveInfo(dataDirectory);
            disk = drive.TotalSize;
            diskFree = drive.AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
        }

        return new NodeFacts(
            cpus,
            memory,
            available,
            disk,
            diskFree,
            ProcessCount(),
            (int)(ReadLong("/proc/sys/kernel/pid_max") ?? 32768),
            OsImage(),
            ReadText("/proc/sys/kernel/osrelease") ?? Environment.OSVersion.Version.ToString(),
            Architecture(),
            ReadText("/etc/machine-id") ?? string.Empty,
            ReadText("/sys/class/dmi/id/product_uuid") ?? ReadText("/etc/machine-id") ?? string.Empty,
            ReadText("/proc/sys/kernel/random/boot_id") ?? string.Empty);
    }

    /// <summary>Kubernetes' architecture names (GOARCH), e.g. amd64, arm64.</summary>
    public static string Architecture() => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static Dictionary<string, long> ReadMemInfo()
    {
        var values = new Dictionary<string, long>();
        foreach (var line in ReadLines("/proc/meminfo"))
        {
            var parts = line.Split(':', 2);
            if (parts.Length == 2 && long.TryParse(parts[1].Trim().Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
            {
                values[parts[0]] = kb * 1024;
            }
        }

        return values;
    }

    private static long? CgroupMemoryLimit()
    {
        var limit = ReadLong("/sys/fs/cgroup/memory.max") ?? ReadLong("/sys/fs/cgroup/memory/memory.limit_in_bytes");
        return limit is > 0 and < long.MaxValue / 2 ? limit : null;
    }

    private static int? CgroupCpuLimit()
    {
        if (ReadText("/sys/fs/cgroup/cpu.max")?.Split(' ') is [var quota, var period]
            && long.TryParse(quota, CultureInfo.InvariantCulture, out var q) && long.TryParse(period, CultureInfo.InvariantCulture, out var p) && p > 0)
        {
            return (int)Math.Max(1, Math.Ceiling((double)q / p));
        }

        return null;
    }

    /// <summary>The fourth field of /proc/loadavg is runnable/total scheduling entities (threads included).</summary>
    private static int ProcessCount() =>
        ReadText("/proc/loadavg")?.Split(' ') is [_, _, _, var entities, ..] && entities.Split('/') is [_, var total]
            && int.TryParse(total, CultureInfo.InvariantCulture, out var count) ? count : 0;

    private static string OsImage()
    {
        foreach (var line in ReadLines("/etc/os-release"))
        {
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
            {
                return line["PRETTY_NAME=".Length..].Trim('"');
            }
        }

        return "Linux";
    }

    private static long? ReadLong(string path) =>
        long.TryParse(ReadText(path), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IEnumerable<string> ReadLines(string path) => ReadText(path)?.Split('\n') ?? [];
}
