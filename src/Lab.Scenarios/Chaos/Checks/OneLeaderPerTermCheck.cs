using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>No two servers ever named different leaders for the same Raft term (Raft's election safety, as observed).</summary>
public static class OneLeaderPerTermCheck
{
    public static CheckResult Run(IReadOnlyList<MemberObservation> observations)
    {
        var answered = observations.Where(o => o.Term is not null && o.Leader is not null).ToList();
        var terms = answered.GroupBy(o => o.Term!.Value).ToList();
        var split = terms.Where(t => t.Select(o => o.Leader).Distinct().Count() > 1).ToList();
        var summary = $"{answered.Count:N0} member polls over {terms.Count} terms ({string.Join(", ", terms.Select(t => $"term {t.Key}: {string.Join("/", t.Select(o => o.Leader).Distinct())}"))})";
        return split.Count == 0
            ? CheckResult.Pass("one-leader-per-term", summary)
            : CheckResult.Fail("one-leader-per-term", $"{split.Count} terms had two leaders: {summary}", split.SelectMany(t => t.GroupBy(o => o.Leader).Select(g =>
                $"term {t.Key}: {string.Join(", ", g.Select(o => o.Node).Distinct())} named {g.Key} (first at {g.Min(o => o.At):0.0} s)")));
    }
}
