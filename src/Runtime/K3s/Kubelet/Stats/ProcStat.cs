using System.Globalization;

namespace K3sLab.K3s.Kubelet.Stats;

/// <summary>
/// The fields of one <c>/proc/&lt;pid&gt;/stat</c> line that resource metrics need (proc(5)): the session the
/// process belongs to, its CPU time and that of the children it reaped (clock ticks), and its resident pages.
/// </summary>
internal readonly record struct ProcStat(int Pid, int Session, long CpuTicks, long ReapedChildTicks, long ResidentPages)
{
    /// <summary>
    /// Parses a stat line; null when it is not one. The command name sits in parentheses and may itself hold spaces
    /// and parentheses, so the fields are counted from the last <c>)</c>.
    /// </summary>
    public static ProcStat? Parse(string line)
    {
        var open = line.IndexOf(" (", StringComparison.Ordinal);
        var close = line.LastIndexOf(')');
        if (open <= 0 || close < open || !int.TryParse(line.AsSpan(0, open), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        // After ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
        // priority nice threads itrealvalue starttime vsize rss ...
        var fields = line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 22
            || !int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var session)
            || !long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var utime)
            || !long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var stime)
            || !long.TryParse(fields[13], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var cutime)
            || !long.TryParse(fields[14], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var cstime)
            || !long.TryParse(fields[21], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var rss))
        {
            return null;
        }

        return new ProcStat(pid, session, utime + stime, Math.Max(0, cutime + cstime), Math.Max(0, rss));
    }
}
