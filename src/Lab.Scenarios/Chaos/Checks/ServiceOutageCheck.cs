using System.Globalization;
using K3sLab.Scenarios.Chaos.Running;
using K3sLab.Scenarios.Chaos.Workloads;

namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>
/// Service availability as a pod sees it, from the Service probe's calls (lookup by name, then GET): a call may fail
/// only if it was still running at a fault or a heal on the timeline (a node killed, stopped, cut off, started
/// again...) or started within the bound after one;
/// no stretch without an answered call lasts longer than the bound; and the last call was answered. A fault the
/// cluster never gets over (a dead server kept in kube-dns's endpoints, rules never rewritten) shows as failures
/// past the bound even when most calls still get through.
/// </summary>
public static class ServiceOutageCheck
{
    public static CheckResult Run(ServiceProbeResult? probe, IReadOnlyList<TimelineEvent> timeline, TimeSpan max)
    {
        const string Name = "service-outage";
        if (probe is null || probe.Calls.Count == 0)
        {
            return CheckResult.Fail(Name, "the Service probe recorded no call", ["its client pod's output held no call line"]);
        }

        // The calls before the first answer were made while the web pods were still starting (a Service without ready
        // endpoints refuses connections); the step waits for that answer before the scenario goes on.
        var starting = probe.Calls.TakeWhile(c => !c.Ok).Count();
        var calls = probe.Calls.Skip(starting).ToList();
        if (calls.Count == 0)
        {
            return CheckResult.Fail(Name, $"none of the Service probe's {starting} calls was answered", [$"its last call: {probe.Calls[^1].Answer}"]);
        }

        var bound = max.TotalSeconds;
        var disruptions = timeline.Where(e => e.Kind is "fault" or "heal").Select(e => e.At).Order().ToList();
        // A call still running when a fault came may fail from it: the window of a fault or heal holds every call
        // that ended after it and started within the bound after it.
        var unexplained = calls.Where(c => !c.Ok && !disruptions.Any(at => at <= c.End && c.Start <= at + bound)).ToList();
        var (gap, from) = WidestGap(calls);
        var failed = calls.Where(c => !c.Ok).ToList();
        var kinds = failed.Count == 0 ? "" : $" ({string.Join(", ", failed.GroupBy(c => c.Kind).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} ×{g.Count()}"))})";
        var backends = string.Join(", ", calls.Where(c => c.Ok).GroupBy(c => c.Answer).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
        var summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{calls.Count:N0} calls from {probe.From} to http://{probe.Service}: {calls.Count - failed.Count:N0} answered ({backends}), {failed.Count:N0} failed{kinds}; longest without an answer {gap:0.00} s (from {from:0.0} s), bound {bound:0.##} s{(starting > 0 ? $"; {starting} call(s) while the web pods started not counted" : "")}");

        var details = new List<string>();
        details.AddRange(unexplained.Take(10).Select(c => string.Create(CultureInfo.InvariantCulture, $"a call at {c.Start:0.000} s failed ({c.Answer}) with no fault or heal while it ran or in the {bound:0.##} s before it")));
        if (gap > bound)
        {
            details.Add(string.Create(CultureInfo.InvariantCulture, $"no call was answered from {from:0.000} s to {from + gap:0.000} s"));
        }

        if (!calls[^1].Ok)
        {
            details.Add(string.Create(CultureInfo.InvariantCulture, $"the last call, at {calls[^1].Start:0.000} s, failed ({calls[^1].Answer}): the Service was not reachable when the run ended"));
        }

        return details.Count == 0 ? CheckResult.Pass(Name, summary) : CheckResult.Fail(Name, summary, details);
    }

    /// <summary>
    /// The longest time no call got an answer, and where it began (seconds since the run started): from the end of one
    /// answered call to the end of the next answered one (or of the last call, when that one failed). With every call
    /// answered this is the probe's own pace, about 0.3 s. Before the first answered call nothing is counted (the
    /// probe was starting).
    /// </summary>
    public static (double Gap, double From) WidestGap(IReadOnlyList<ServiceProbeCall> calls)
    {
        var answered = calls.Where(c => c.Ok).ToList();
        var (gap, from) = (0.0, answered.Count > 0 ? answered[0].End : 0.0);
        for (var i = 1; i < answered.Count; i++)
        {
            var between = answered[i].End - answered[i - 1].End;
            if (between > gap)
            {
                (gap, from) = (between, answered[i - 1].End);
            }
        }

        if (answered.Count > 0 && !calls[^1].Ok && calls[^1].End - answered[^1].End > gap)
        {
            (gap, from) = (calls[^1].End - answered[^1].End, answered[^1].End);
        }

        return (gap, from);
    }
}
