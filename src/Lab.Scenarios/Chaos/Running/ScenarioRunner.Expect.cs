using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Workloads;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>The <c>expect</c> steps: poll a condition until it holds or the window closes.</summary>
public sealed partial class ScenarioRunner
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    private async Task ExpectAsync(ExpectStep step, RunState state, CancellationToken cancellationToken)
    {
        var started = state.Record.Clock.Elapsed;
        var deadline = started + step.Within;
        if (step.Condition is WritesRefused refused)
        {
            await ExpectRefusedAsync(refused, state, deadline, cancellationToken);
            return;
        }

        var last = "";
        while (true)
        {
            var (holds, seen) = await HoldsAsync(step.Condition, state, cancellationToken);
            if (holds)
            {
                state.Record.Event("note", $"{step.Condition.Describe()} after {(state.Record.Clock.Elapsed - started).TotalSeconds:0.0} s");
                return;
            }

            last = seen;
            if (state.Record.Clock.Elapsed >= deadline)
            {
                throw new ExpectationFailedException($"{step.Condition.Describe()} did not happen within {step.Within.TotalSeconds:0.#} s (last seen: {last})");
            }

            await Task.Delay(Poll, cancellationToken);
        }
    }

    private async Task<(bool Holds, string Seen)> HoldsAsync(Expectation condition, RunState state, CancellationToken cancellationToken)
    {
        switch (condition)
        {
            case WritesSucceed w:
                var via = w.Via == "lb" ? "lb" : await state.ResolveAsync(w.Via, cancellationToken);
                var write = await ProbeWriteAsync(state, via, cancellationToken);
                return (write is null, write ?? "ok");
            case ReadyzIs r:
                var node = await state.ResolveAsync(r.Node, cancellationToken);
                var readyz = await ReadyzAsync(state, node, cancellationToken);
                return (readyz == HttpStatusCode.OK == r.Ready, readyz is null ? "no answer" : $"{(int)readyz}");
            case NodesReady n:
                var names = new List<string>();
                foreach (var reference in n.Nodes)
                {
                    names.Add(await state.ResolveAsync(reference, cancellationToken));
                }

                var ready = await state.Readiness!.ReadAsync(cancellationToken);
                if (ready is null)
                {
                    return (false, "the API did not answer");
                }

                var expected = names.Count > 0 ? names : state.Nodes.K3sNodes;
                var missing = expected.Where(x => ready.GetValueOrDefault(x) != "True").ToList();
                return (missing.Count == 0, missing.Count == 0 ? "all Ready" : "not Ready: " + string.Join(", ", missing.Select(x => $"{x}={ready.GetValueOrDefault(x, "absent")}")));
            case VotersAre v:
                foreach (var server in state.Nodes.Members.Where(s => !state.Down.Contains(s) && !state.Paused.Contains(s)))
                {
                    if (await state.Etcdctl.MembersAsync(state.Nodes[server], cancellationToken) is { } members)
                    {
                        var voters = members.Count(m => !m.IsLearner);
                        var polled = state.Datastore is null ? [] : await state.Datastore.PollAsync(cancellationToken);
                        var agreed = await state.LeaderAsync(cancellationToken);
                        var following = polled.Count(p => p.Leader is not null && p.Leader == agreed);
                        return (voters == v.Count && following == v.Count, $"{voters} voters, {members.Count - voters} learners (per {server}); {following} members answer and follow {agreed ?? "no agreed leader"}");
                    }
                }

                return (false, "no server answered");
            case LogContains l:
                var logged = await state.ResolveAsync(l.Node, cancellationToken);
                var log = await provider.LogsAsync(state.Nodes[logged], cancellationToken);
                return (log.Contains(l.Text, StringComparison.Ordinal), log.Length == 0 ? "no output" : "last line: " + log.TrimEnd().Split('\n')[^1]);
            case InternalIpIsCurrent i:
                return await InternalIpAsync(state, await state.ResolveAsync(i.Node, cancellationToken), cancellationToken);
            case LeaderElected l:
                var excluded = new List<string>();
                foreach (var reference in l.Not)
                {
                    excluded.Add(await state.ResolveAsync(reference, cancellationToken));
                }

                var leader = await state.LeaderAsync(cancellationToken);
                return (leader is not null && !excluded.Contains(leader), leader ?? "no agreed leader");
            default:
                throw new ChaosRunException($"expectation '{condition.Describe()}' is not implemented");
        }
    }

    /// <summary>Whether the node's Node object (read through the balancer) lists the node's current address as its InternalIP.</summary>
    private static async Task<(bool Holds, string Seen)> InternalIpAsync(RunState state, string name, CancellationToken cancellationToken)
    {
        var node = state.Nodes[name];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ApiEndpoints.RequestTimeout);
        try
        {
            var read = await state.Endpoints.For("lb").CoreV1.ReadNodeAsync(node.Name, cancellationToken: timeout.Token);
            var internalIps = read.Status?.Addresses?.Where(a => a.Type == "InternalIP").Select(a => a.Address).ToList() ?? [];
            return (internalIps.Contains(node.Address.ToString()), $"InternalIP {(internalIps.Count == 0 ? "none" : string.Join(", ", internalIps))}, address {node.Address}");
        }
        catch (HttpOperationException e)
        {
            return (false, $"{(int)e.Response.StatusCode} reading Node {node.Name}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (false, "the API did not answer");
        }
    }

    /// <summary>Writes through the node must keep failing for the whole window; the first success fails the step.</summary>
    private static async Task ExpectRefusedAsync(WritesRefused refused, RunState state, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var via = await state.ResolveAsync(refused.Via, cancellationToken);
        var attempts = 0;
        while (state.Record.Clock.Elapsed < deadline)
        {
            attempts++;
            if (await ProbeWriteAsync(state, via, cancellationToken) is null)
            {
                throw new ExpectationFailedException($"a write through {via} was acknowledged at {state.Record.Clock.Seconds:0.0} s, while {via} should not reach a quorum");
            }

            await Task.Delay(Poll, cancellationToken);
        }

        state.Record.Event("note", $"{attempts} writes through {via} refused or timed out, as they must");
    }

    /// <summary>Creates a probe ConfigMap through <paramref name="via"/>; null on success, else what went wrong.</summary>
    private static async Task<string?> ProbeWriteAsync(RunState state, string via, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ApiEndpoints.RequestTimeout);
        try
        {
            var map = new V1ConfigMap { Metadata = new V1ObjectMeta { GenerateName = "probe-", NamespaceProperty = RegisterWorkload.Namespace } };
            await state.Endpoints.For(via).CoreV1.CreateNamespacedConfigMapAsync(map, RegisterWorkload.Namespace, cancellationToken: timeout.Token);
            return null;
        }
        catch (HttpOperationException e)
        {
            return $"{(int)e.Response.StatusCode} {e.Response.Content?[..Math.Min(e.Response.Content.Length, 120)]}";
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return e is OperationCanceledException ? "timeout" : e.GetBaseException().Message;
        }
    }

    private static async Task<HttpStatusCode?> ReadyzAsync(RunState state, string node, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        var api = state.Endpoints.For(node);
        try
        {
            using var response = await api.HttpClient.GetAsync(new Uri(api.BaseUri, "/readyz"), timeout.Token);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
