using System.Globalization;

namespace K3sLab.Perf.Api;

/// <summary>
/// CPU and memory of Docker containers read from their cgroups on this host, cgroup v1 (cgroupfs driver:
/// <c>cpuacct/docker/&lt;id&gt;</c>) or v2 (<c>system.slice/docker-&lt;id&gt;.scope</c> or <c>docker/&lt;id&gt;</c>). CPU is
/// cumulative, so a phase's share is a difference; memory is anonymous memory (what <c>docker stats</c> counts,
/// without the page cache). A container whose cgroup is not found counts as NaN, so the report shows it unknown
/// rather than zero.
/// </summary>
internal static class ContainerCgroups
{
    private const string Root = "/sys/fs/cgroup";

    public static double CpuSeconds(IEnumerable<string> containerIds) => containerIds.Sum(id =>
        ReadLong(Path.Combine(Root, "cpuacct", "docker", id, "cpuacct.usage")) is { } ns ? ns / 1e9
        : V2(id) is { } v2 && Stat(Path.Combine(v2, "cpu.stat"), "usage_usec") is { } us ? us / 1e6
        : double.NaN);

    public static double MemoryMiB(IEnumerable<string> containerIds) => containerIds.Sum(id =>
        Stat(Path.Combine(Root, "memory", "docker", id, "memory.stat"), "rss") is { } rss ? rss / 1048576.0
        : V2(id) is { } v2 && Stat(Path.Combine(v2, "memory.stat"), "anon") is { } anon ? anon / 1048576.0
        : double.NaN);

    private static string? V2(string id) =>
        new[] { Path.Combine(Root, "system.slice", $"docker-{id}.scope"), Path.Combine(Root, "docker", id) }.FirstOrDefault(Directory.Exists);

    private static long? ReadLong(string path) =>
        File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static long? Stat(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }
}
