using System.Globalization;
using System.Text.RegularExpressions;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>
/// How fast each agent's client-side load balancer moves off a server that goes down under it. For every node fault
/// on a server (<c>kill</c>, <c>stop</c>, <c>pause</c>, <c>restart</c>) that hit the server an agent's balancer had
/// ACTIVE at that moment, the failover time is from the fault (when the engine was asked for it) until the balancer
/// took that server out of ACTIVE (<c>Server ...@ACTIVE-&gt;FAILED</c>, read from the agent's own log with its
/// millisecond timestamps) while another server was ready for the next connection (PREFERRED, HEALTHY or RECOVERING). From
/// then on a new connection goes to a live server; when the agent's own clients next dial is their retry policy (the
/// kubelet waits a second), which the summary shows apart as the next ACTIVE. The check holds when every such
/// failover took at most the bound. A fault that hit no agent's active server needs no failover and is not counted.
/// </summary>
public static partial class AgentFailoverCheck
{
    /// <summary>Longest wait for a balancer's move before it counts as never.</summary>
    private static readonly TimeSpan Never = TimeSpan.FromSeconds(60);

    /// <param name="timeline">The run's timeline (faults with their times).</param>
    /// <param name="started">The run's start on the wall clock, which the containers' log timestamps also use.</param>
    /// <param name="agentLogs">Each agent's container log, by short name.</param>
    /// <param name="serverAddresses">Each server's balancer address (<c>ip:6443</c>), by short name.</param>
    /// <param name="max">The bound.</param>
    public static CheckResult Run(IReadOnlyList<TimelineEvent> timeline, DateTimeOffset started, IReadOnlyDictionary<string, string> agentLogs, IReadOnlyDictionary<string, string> serverAddresses, TimeSpan max)
    {
        const string name = "agent-failover";
        if (agentLogs.Count == 0)
        {
            return CheckResult.Fail(name, "the cluster has no agent, so there is no balancer to time", []);
        }

        var faults = timeline
            .Where(e => e.Kind == "fault")
            .Select(e => (Event: e, Match: FaultPattern().Match(e.Text)))
            .Where(f => f.Match.Success && serverAddresses.ContainsKey(f.Match.Groups["node"].Value))
            .Select(f => (At: started + TimeSpan.FromSeconds(f.Event.At), Server: f.Match.Groups["node"].Value, Text: f.Event.Text))
            .ToList();
        var measured = new List<string>();
        var failures = new List<string>();
        foreach (var (agent, log) in agentLogs.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var transitions = Transitions(log);
            foreach (var fault in faults)
            {
                var address = serverAddresses[fault.Server];
                if (ActiveAt(transitions, fault.At) != address)
                {
                    continue;
                }

                var left = transitions.FirstOrDefault(t => t.At > fault.At && t.Address == address && t.To != "ACTIVE");
                var ready = left.At == default ? null : ReadyOther(transitions, left.At, address);
                var next = transitions.FirstOrDefault(t => t.At > fault.At && t.To == "ACTIVE");
                var took = left.At == default || ready is null ? (TimeSpan?)null : left.At - fault.At;
                var how = fault.Text.Split(' ')[0];
                var line = took is { } t && t <= Never
                    ? string.Create(CultureInfo.InvariantCulture, $"{agent}: {fault.Server} down ({how}) -> out of ACTIVE after {t.TotalSeconds:0.000} s with {ready} ready")
                        + (next.At == default ? "" : string.Create(CultureInfo.InvariantCulture, $", next connection on {next.Address} after {(next.At - fault.At).TotalSeconds:0.000} s"))
                    : left.At == default
                        ? $"{agent}: {fault.Server} down ({how}), and the balancer kept it ACTIVE for {Never.TotalSeconds:0} s"
                        : $"{agent}: {fault.Server} down ({how}) and out of ACTIVE, but no other server was ready";
                measured.Add(line);
                if (took is not { } within || within > max)
                {
                    failures.Add(line);
                }
            }
        }

        if (measured.Count == 0)
        {
            return CheckResult.Pass(name, $"no fault took down an agent's active server ({faults.Count} server faults); nothing to time");
        }

        var summary = $"{measured.Count} failovers, bound {max.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s: " + string.Join("; ", measured);
        return failures.Count == 0 ? CheckResult.Pass(name, summary) : CheckResult.Fail(name, summary, failures);
    }

    /// <summary>The balancer's state changes, in log order: when, which server, to which state.</summary>
    internal static IReadOnlyList<(DateTimeOffset At, string Address, string To)> Transitions(string log) =>
        [.. log.Split('\n')
            .Select(l => TransitionPattern().Match(l))
            .Where(m => m.Success)
            .Select(m => (At: DateTimeOffset.TryParse(m.Groups["at"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : (DateTimeOffset?)null, m))
            .Where(t => t.At is not null)
            .Select(t => (t.At!.Value, t.m.Groups["address"].Value, t.m.Groups["to"].Value))];

    /// <summary>Another server the balancer would dial next at <paramref name="at"/> (PREFERRED, HEALTHY or RECOVERING), or null.</summary>
    private static string? ReadyOther(IReadOnlyList<(DateTimeOffset At, string Address, string To)> transitions, DateTimeOffset at, string except)
    {
        var state = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (_, address, to) in transitions.Where(t => t.At <= at))
        {
            state[address] = to;
        }

        return state.Where(s => s.Key != except && s.Value is "PREFERRED" or "HEALTHY" or "RECOVERING" or "ACTIVE").Select(s => s.Key).Order(StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>The server the balancer had ACTIVE at <paramref name="at"/>, or null.</summary>
    internal static string? ActiveAt(IReadOnlyList<(DateTimeOffset At, string Address, string To)> transitions, DateTimeOffset at)
    {
        string? active = null;
        foreach (var (when, address, to) in transitions.Where(t => t.At <= at))
        {
            if (to == "ACTIVE")
            {
                active = address;
            }
            else if (address == active)
            {
                active = null;
            }
        }

        return active;
    }

    /// <summary>
    /// Each server's last state at <paramref name="at"/> and since when, for an error that says where the balancer
    /// stood: <c>172.28.0.10:6443 RECOVERING since 06:52:35.185</c>, or that its log has no transitions.
    /// </summary>
    internal static string DescribeStates(IReadOnlyList<(DateTimeOffset At, string Address, string To)> transitions, DateTimeOffset at)
    {
        var last = new SortedDictionary<string, (DateTimeOffset At, string To)>(StringComparer.Ordinal);
        foreach (var (when, address, to) in transitions.Where(t => t.At <= at))
        {
            last[address] = (when, to);
        }

        return last.Count == 0
            ? "no transitions in its log"
            : string.Join(", ", last.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value.To} since {s.Value.At:HH:mm:ss.fff}")));
    }

    [GeneratedRegex(@"^(?<at>\d{4}-\d\d-\d\dT[\d:.]+Z) .*\bServer (?<address>\S+)@(?<from>[A-Z]+)->(?<to>[A-Z]+) from ")]
    private static partial Regex TransitionPattern();

    [GeneratedRegex(@"^(kill|stop|pause|restart) (?<node>server-\d+)\b")]
    private static partial Regex FaultPattern();
}
