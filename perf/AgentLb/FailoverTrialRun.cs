using System.Diagnostics;
using System.Net;

namespace K3sLab.Perf.AgentLb;

/// <summary>
/// The measured part of one failover trial, the same for local processes and lab containers: kill the agent's active
/// server, then ask the API through the agent's balancer every 20 ms (a new connection each, 1 s timeout) until it
/// answers 200, then wait for the agent's next node-Lease renewal. Both times run from just before the kill.
/// </summary>
internal static class FailoverTrialRun
{
    /// <summary>A trial that has not recovered by then counts as "none in 30 s".</summary>
    public static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LeaseDeadline = TimeSpan.FromSeconds(60);

    public static async Task<AgentLbTrial> RunAsync(int trial, string killed, bool wasLeader, Func<Task> kill, ApiProbe throughBalancer, string agentNode, CancellationToken ct)
    {
        var killedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await kill();
        var killCall = clock.Elapsed.TotalSeconds;
        var failed = 0;
        var recovered = double.PositiveInfinity;
        while (clock.Elapsed < RecoveryDeadline)
        {
            if (await throughBalancer.GetAsync($"/api/v1/nodes/{agentNode}", RequestTimeout, ct) == HttpStatusCode.OK)
            {
                recovered = clock.Elapsed.TotalSeconds;
                break;
            }

            failed++;
            await Task.Delay(20, ct);
        }

        var renewed = double.PositiveInfinity;
        while (clock.Elapsed < LeaseDeadline)
        {
            if (await throughBalancer.LeaseRenewTimeAsync(agentNode, ct) is { } at && at > killedAt)
            {
                renewed = clock.Elapsed.TotalSeconds;
                break;
            }

            await Task.Delay(200, ct);
        }

        return new AgentLbTrial(trial, killed, wasLeader, recovered, failed, renewed, killCall);
    }
}
