using System.Globalization;

namespace K3sLab.Perf;

/// <summary>
/// One reading of a process's memory and CPU from <c>/proc</c>: resident set (<c>VmRSS</c> of <c>status</c>),
/// proportional set (<c>Pss</c> of <c>smaps_rollup</c>, which splits shared pages among the processes mapping
/// them, so the binary's pages shared with another k3s process are not counted twice) and user plus system CPU
/// seconds. Every suite reads the processes it measures through this.
/// </summary>
internal sealed record ProcessStats(double RssMiB, double PssMiB, double CpuSeconds)
{
    public static ProcessStats Read(int pid) => new(ResidentMiB(pid), KiB($"/proc/{pid}/smaps_rollup", "Pss:") / 1024.0, CpuSecondsOf(pid));

    /// <summary>The process's resident memory now, in MiB.</summary>
    public static double ResidentMiB(int pid) => KiB($"/proc/{pid}/status", "VmRSS:") / 1024.0;

    /// <summary>The most resident memory the process has had (<c>VmHWM</c>), in MiB.</summary>
    public static double PeakResidentMiB(int pid) => KiB($"/proc/{pid}/status", "VmHWM:") / 1024.0;

    /// <summary>User plus system CPU seconds the process has used.</summary>
    public static double CpuSecondsOf(int pid)
    {
        // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name) are utime and stime in clock ticks.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static long KiB(string file, string field)
    {
        var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
