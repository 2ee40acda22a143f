namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>The scaling policies' limits over the scale events of their periods, and remembering those events.</summary>
internal static partial class ReplicaNormalizer
{
    /// <summary>The most pods scale-up policies allow now (<c>calculateScaleUpLimitWithScalingRules</c>).</summary>
    internal static int ScaleUpLimit(int current, IReadOnlyList<ScaleEvent> ups, IReadOnlyList<ScaleEvent> downs, ScalingRules rules, DateTimeOffset now)
    {
        if (rules.SelectPolicy == ScalingRules.Disabled)
        {
            return current;
        }

        var pickMin = rules.SelectPolicy == ScalingRules.Min;
        var result = pickMin ? int.MaxValue : int.MinValue;
        foreach (var policy in rules.Policies)
        {
            var start = current - ChangeInPeriod(policy.PeriodSeconds, ups, now) + ChangeInPeriod(policy.PeriodSeconds, downs, now);
            var proposed = policy.Type switch
            {
                "Pods" => start + policy.Value,
                "Percent" => (int)Math.Ceiling(start * (1 + (policy.Value / 100.0))),
                _ => 0,
            };
            result = pickMin ? Math.Min(result, proposed) : Math.Max(result, proposed);
        }

        return result;
    }

    /// <summary>The fewest pods scale-down policies allow now (<c>calculateScaleDownLimitWithBehaviors</c>).</summary>
    internal static int ScaleDownLimit(int current, IReadOnlyList<ScaleEvent> ups, IReadOnlyList<ScaleEvent> downs, ScalingRules rules, DateTimeOffset now)
    {
        if (rules.SelectPolicy == ScalingRules.Disabled)
        {
            return current;
        }

        var pickMin = rules.SelectPolicy == ScalingRules.Min;
        var result = pickMin ? int.MinValue : int.MaxValue;
        foreach (var policy in rules.Policies)
        {
            var start = current - ChangeInPeriod(policy.PeriodSeconds, ups, now) + ChangeInPeriod(policy.PeriodSeconds, downs, now);
            var proposed = policy.Type switch
            {
                "Pods" => start - policy.Value,
                "Percent" => (int)(start * (1 - (policy.Value / 100.0))),
                _ => 0,
            };
            result = pickMin ? Math.Max(result, proposed) : Math.Min(result, proposed);
        }

        return result;
    }

    /// <summary>
    /// Remembers a rescale from <paramref name="previous"/> to <paramref name="next"/> replicas for the policies'
    /// periods (<c>storeScaleEvent</c>): events older than the direction's longest period are marked outdated and
    /// the last such slot is reused. Nothing is kept without <c>spec.behavior</c>.
    /// </summary>
    public static void RecordScale(AutoscalerHistory history, ScalingRules? up, ScalingRules? down, int previous, int next, DateTimeOffset now)
    {
        if (up is null || down is null)
        {
            return;
        }

        var (events, rules, change) = next > previous ? (history.ScaleUps, up, next - previous) : (history.ScaleDowns, down, previous - next);
        var cutoff = now.AddSeconds(-rules.LongestPeriodSeconds);
        var slot = -1;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].At < cutoff)
            {
                events[i] = events[i] with { Outdated = true };
            }

            if (events[i].Outdated)
            {
                slot = i;
            }
        }

        var added = new ScaleEvent(change, now, false);
        if (slot >= 0)
        {
            events[slot] = added;
        }
        else
        {
            events.Add(added);
        }
    }

    private static int ChangeInPeriod(int periodSeconds, IReadOnlyList<ScaleEvent> events, DateTimeOffset now)
    {
        var cutoff = now.AddSeconds(-periodSeconds);
        return events.Where(e => e.At > cutoff).Sum(e => e.Change);
    }
}
