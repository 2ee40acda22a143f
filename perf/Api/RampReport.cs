using System.Globalization;
using System.Text;

namespace K3sLab.Perf.Api;

/// <summary>The open-model create ramp in the api report: per second asked, sent and answered, where it fell behind, and its plot.</summary>
internal static class RampReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Append(StringBuilder md, string directory, OpenLoopRun ramp, int inFlight)
    {
        var rows = Seconds(ramp);
        md.AppendLine()
            .AppendLine(Inv, $"## Open model: creates of 1 KiB ConfigMaps at a rate rising {ramp.Schedule}")
            .AppendLine()
            .AppendLine(Inv, $"Each create is sent when the schedule says it is due, whether or not earlier ones were answered, with up to {inFlight} outstanding.")
            .AppendLine("Latency runs from the scheduled moment (coordinated-omission correction: a stall counts against every request it delayed);")
            .AppendLine(Inv, $"from the actual send it was p50 {ramp.FromSend.Ms(50):0.00} ms, p99 {ramp.FromSend.Ms(99):0.00} ms. Answers are counted in the second they arrived.")
            .AppendLine()
            .AppendLine(Verdict(ramp, inFlight))
            .AppendLine()
            .AppendLine("| second | asked/s | sent/s | answered/s | errors | p50 from schedule | p99 from schedule |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        var intervals = ramp.Run.Timeline?.Intervals() ?? [];
        foreach (var r in rows)
        {
            var errors = (int)r.Second < intervals.Count ? intervals[(int)r.Second].Errors : 0;
            var p50 = (int)r.Second < intervals.Count ? intervals[(int)r.Second].P50Ms : 0;
            md.AppendLine(Inv, $"| {r.Second:0} | {r.Asked:N0} | {r.Sent:N0} | {r.Answered:N0} | {errors} | {p50:0.0} ms | {r.P99Ms:0.0} ms |");
        }

        Plots.RatePlot.Write(directory, "api-ramp", $"Open-model creates, {ramp.Schedule}", rows);
        md.AppendLine().AppendLine("![asked, sent and answered per second, and p99 from schedule](api-ramp.svg)");
    }

    /// <summary>The ramp's figures for api.json.</summary>
    public static object Json(OpenLoopRun ramp) => new
    {
        schedule = ramp.Schedule.ToString(),
        ramp.HeldBack,
        p50FromSendMs = ramp.FromSend.Ms(50),
        p99FromSendMs = ramp.FromSend.Ms(99),
        fellBehindAtSecond = ramp.FellBehind()?.Second,
        seconds = Seconds(ramp).Select(r => new { r.Second, asked = Math.Round(r.Asked), sent = Math.Round(r.Sent), answered = Math.Round(r.Answered), p99FromScheduleMs = r.P99Ms }),
    };

    /// <summary>
    /// One line: up to which rate the server kept up, and whether the generator's bound, not the server, was the
    /// limit (requests held back past their due time).
    /// </summary>
    public static string Verdict(OpenLoopRun ramp, int inFlight)
    {
        var behind = ramp.FellBehind();
        var held = ramp.HeldBack > 0
            ? string.Create(Inv, $" {ramp.HeldBack:N0} requests waited past their due time for one of the generator's {inFlight} in-flight slots, so from there the generator's bound, not the server alone, set the pace.")
            : " No request waited for a generator slot.";
        return behind is { } b
            ? string.Create(Inv, $"**The server kept up until second {b.Second}**, where {b.Asked:N0} creates were asked and {b.Answered:N0} answered (under 90 %).{held}")
            : string.Create(Inv, $"**The server kept up with every second of the ramp**, to {ramp.Schedule.ToPerSecond:N0}/s.{held}");
    }

    private static IReadOnlyList<(double Second, double Asked, double Sent, double Answered, double P99Ms)> Seconds(OpenLoopRun ramp)
    {
        var intervals = ramp.Run.Timeline?.Intervals() ?? [];
        var count = Math.Max(intervals.Count, ramp.SentPerSecond.Count);
        return [.. Enumerable.Range(0, count).Select(s => (
            (double)s,
            ramp.Schedule.Arrived(s + 1) - ramp.Schedule.Arrived(s),
            s < ramp.SentPerSecond.Count ? (double)ramp.SentPerSecond[s] : 0,
            s < intervals.Count ? intervals[s].Succeeded : 0,
            s < intervals.Count ? intervals[s].P99Ms : 0))];
    }
}
