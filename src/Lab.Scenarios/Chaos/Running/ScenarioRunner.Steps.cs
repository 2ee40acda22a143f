using k8s;
using K3sLab.Lab.Datastores;
using K3sLab.Scenarios.Chaos.Checks;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Observers;
using K3sLab.Scenarios.Faults;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>The steps that change the cluster, and the repairs the run always makes at the end.</summary>
public sealed partial class ScenarioRunner
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private async Task RunStepAsync(ScenarioStep step, RunState state, int seed, CancellationToken cancellationToken)
    {
        switch (step)
        {
            case StartLoadStep load:
                var via = load.Via switch
                {
                    "lb" => ["lb"],
                    "each-server" => state.Nodes.Servers,
                    var reference => (IReadOnlyList<string>)[await state.ResolveAsync(reference, cancellationToken)],
                };
                await state.Workload!.StartAsync(load.Clients, load.Keys, load.ReadPercent, via, seed, cancellationToken);
                if (load.Watchers > 0)
                {
                    await state.Watchers!.StartAsync(load.Watchers, via, cancellationToken);
                }

                break;
            case StartStoreLoadStep store:
                state.StoreEndpoints ??= await Workloads.Store.StoreEndpoints.CreateAsync(provider, state.Nodes, cancellationToken);
                // The API probes of 'expect: writes' create ConfigMaps in the workload's namespace, with or without 'load'.
                await Workloads.RegisterWorkload.EnsureNamespaceAsync(state.Endpoints.For("lb"), cancellationToken);
                var servers = store.Via == "each-server" ? state.Nodes.Servers : (IReadOnlyList<string>)[await state.ResolveAsync(store.Via, cancellationToken)];
                await state.Store!.StartAsync(state.StoreEndpoints, store.Clients, store.Keys, store.Watchers, servers, seed, cancellationToken);
                break;
            case ServiceProbeStep probe:
                await state.ServiceProbe!.StartAsync(await state.ResolveAsync(probe.From, cancellationToken), cancellationToken);
                break;
            case StopLoadStep:
                await state.Workload!.StopAsync();
                if (state.Store is { Started: true } running)
                {
                    await running.StopAsync();
                }

                break;
            case WaitStep wait:
                await Task.Delay(wait.Duration, cancellationToken);
                break;
            case NodeStep node:
                await NodeActionAsync(node, state, cancellationToken);
                break;
            case IsolateStep isolate:
                var target = await state.ResolveAsync(isolate.Target, cancellationToken);
                if (isolate.As is { } name)
                {
                    state.Nodes.Bind(name, target);
                }

                await CutAsync(state, [target], state.Nodes.Names.Where(n => n != target).ToList(), cancellationToken);
                break;
            case PartitionStep partition:
                var groups = new List<List<string>>();
                foreach (var group in partition.Groups)
                {
                    var resolved = new List<string>();
                    foreach (var reference in group)
                    {
                        resolved.Add(await state.ResolveAsync(reference, cancellationToken));
                    }

                    groups.Add(resolved);
                }

                foreach (var group in groups)
                {
                    await CutAsync(state, group, groups.Where(g => g != group).SelectMany(g => g).ToList(), cancellationToken);
                }

                break;
            case RingStep ring:
                await RingAsync(ring, state, cancellationToken);
                break;
            case OneWayStep drop:
                var from = await state.ResolveAsync(drop.From, cancellationToken);
                var to = await state.ResolveAsync(drop.To, cancellationToken);
                await state.Faults.ApplyAsync(state.Nodes[from], new DropOutgoing([state.Nodes[to].Address]), cancellationToken);
                state.Partitioned.Add(from);
                state.Record.Event("fault", $"drop {from} -> {to}");
                break;
            case LossStep loss:
                var lossy = await state.ResolveAsync(loss.Target, cancellationToken);
                await state.Faults.ApplyAsync(state.Nodes[lossy], new RandomLoss(loss.Probability), cancellationToken);
                state.Partitioned.Add(lossy);
                state.Record.Event("fault", $"loss {loss.Probability:P0} on {lossy}");
                break;
            case DeleteNodeStep delete:
                var deleted = await state.ResolveAsync(delete.Target, cancellationToken);
                try
                {
                    await state.Endpoints.For("lb").CoreV1.DeleteNodeAsync(state.Nodes[deleted].Name, cancellationToken: cancellationToken);
                }
                catch (k8s.Autorest.HttpOperationException e)
                {
                    throw new ChaosRunException($"kubectl delete node {state.Nodes[deleted].Name} failed: {(int)e.Response.StatusCode} {e.Response.Content}");
                }

                state.Record.Event("heal", $"delete node {deleted}");
                break;
            case HealStep:
                await HealNetworkAsync(state, cancellationToken);
                break;
            case JoinStep join:
                await JoinAsync(join, state, cancellationToken);
                break;
            case ChangeIpStep move:
                await ChangeIpAsync(move, state, cancellationToken);
                break;
            case ExpectStep expect:
                await ExpectAsync(expect, state, cancellationToken);
                break;
            default:
                throw new ChaosRunException($"step '{step.Describe()}' is not implemented");
        }
    }

    private static async Task CutAsync(RunState state, IReadOnlyList<string> side, IReadOnlyList<string> others, CancellationToken cancellationToken)
    {
        var peers = others.Select(o => state.Nodes[o].Address).ToList();
        foreach (var node in side)
        {
            await state.Faults.ApplyAsync(state.Nodes[node], new Isolate(peers), cancellationToken);
            state.Partitioned.Add(node);
        }

        state.Record.Event("fault", $"partition: {string.Join(", ", side)} cut off from {string.Join(", ", others)}");
    }

    /// <summary>Cuts every link of the ring's nodes except those to their nearest neighbours (<see cref="RingStep.Linked"/>).</summary>
    private static async Task RingAsync(RingStep ring, RunState state, CancellationToken cancellationToken)
    {
        var nodes = new List<string>();
        foreach (var reference in ring.Nodes)
        {
            nodes.Add(await state.ResolveAsync(reference, cancellationToken));
        }

        if (nodes.Distinct().Count() != nodes.Count)
        {
            throw new ChaosRunException($"ring names {string.Join(", ", nodes)}: a node may appear once");
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            var far = nodes.Where((_, j) => !RingStep.Linked(i, j, nodes.Count)).Select(n => state.Nodes[n].Address).ToList();
            await state.Faults.ApplyAsync(state.Nodes[nodes[i]], new Isolate(far), cancellationToken);
            state.Partitioned.Add(nodes[i]);
        }

        state.Record.Event("fault", $"majorities ring {string.Join(" - ", nodes)}: each keeps its {RingStep.Reach(nodes.Count)} nearest on each side");
    }

    private async Task NodeActionAsync(NodeStep step, RunState state, CancellationToken cancellationToken)
    {
        var name = await state.ResolveAsync(step.Target, cancellationToken);
        if (step.As is { } bound)
        {
            state.Nodes.Bind(bound, name);
        }

        var node = state.Nodes[name];
        if (step.Action == NodeAction.Reimage && node.Role is Lab.Providers.NodeRole.Etcd or Lab.Providers.NodeRole.EtcdServer)
        {
            throw new ChaosRunException($"{name} is an etcd member, which cannot be re-imaged: with an empty data dir it cannot rejoin its cluster");
        }

        // The fault is placed on the timeline when it was asked for: a `docker kill` call takes 0.2-1.5 s, and the
        // cluster may already react (a new leader) before it returns.
        var issued = state.Record.Clock.Seconds;
        var powerLoss = Lab.Providers.PowerLoss.ProcessesKilled;
        try
        {
            switch (step.Action)
            {
                case NodeAction.Kill:
                    powerLoss = await provider.KillAsync(node, cancellationToken);
                    state.Down.Add(name);
                    break;
                case NodeAction.Stop:
                    await provider.StopAsync(node, StopGrace, cancellationToken);
                    state.Down.Add(name);
                    break;
                case NodeAction.Start:
                    await provider.StartAsync(node, cancellationToken);
                    state.Down.Remove(name);
                    break;
                case NodeAction.Restart:
                    await provider.StopAsync(node, StopGrace, cancellationToken);
                    await provider.StartAsync(node, cancellationToken);
                    break;
                case NodeAction.Pause:
                    await provider.PauseAsync(node, cancellationToken);
                    state.Paused.Add(name);
                    break;
                case NodeAction.Unpause:
                    await provider.UnpauseAsync(node, cancellationToken);
                    state.Paused.Remove(name);
                    break;
                case NodeAction.Reimage:
                    await provider.ReimageAsync(node, cancellationToken);
                    state.Down.Remove(name);
                    state.Paused.Remove(name);
                    state.Partitioned.Remove(name);
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not ChaosRunException)
        {
            throw new ChaosRunException($"{NodeActions.Name(step.Action)} {name} failed: {e.Message}");
        }

        var took = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the engine call took {state.Record.Clock.Seconds - issued:0.00} s");
        state.Record.Event(
            step.Action is NodeAction.Start or NodeAction.Unpause ? "heal" : "fault",
            $"{NodeActions.Name(step.Action)} {name}" + step.Action switch
            {
                NodeAction.Kill when powerLoss == Lab.Providers.PowerLoss.UnsyncedWritesDropped => $" (power loss: SIGKILL to the whole node, and its data disk shut down without flushing, so every write not yet fsynced is lost; {took})",
                NodeAction.Kill => $" (power loss: SIGKILL to the whole node; its unsynced writes survive in the host's page cache; {took})",
                NodeAction.Reimage => $" (removed with its disk, created afresh: new node password; {took})",
                _ => $" ({took})",
            },
            issued);
    }

    private static async Task HealNetworkAsync(RunState state, CancellationToken cancellationToken)
    {
        foreach (var name in state.Partitioned.ToList())
        {
            if (!state.Down.Contains(name) && !state.Paused.Contains(name))
            {
                await state.Faults.HealAsync(state.Nodes[name], cancellationToken);
                state.Partitioned.Remove(name);
            }
        }

        state.Record.Event("heal", "network faults removed");
    }

    /// <summary>Thaws, starts and un-partitions everything the run touched; errors are collected, not thrown, so every repair is tried.</summary>
    private async Task HealEverythingAsync(RunState state, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var name in state.Paused.ToList())
        {
            await TryAsync(problems, $"unpause {name}", () => provider.UnpauseAsync(state.Nodes[name], cancellationToken));
            state.Record.Event("heal", $"unpause {name}");
        }

        state.Paused.Clear();
        foreach (var name in state.Down.ToList())
        {
            await TryAsync(problems, $"start {name}", () => provider.StartAsync(state.Nodes[name], cancellationToken));
            state.Record.Event("heal", $"start {name}");
        }

        state.Down.Clear();
        if (state.Partitioned.Count > 0)
        {
            foreach (var name in state.Partitioned.ToList())
            {
                await TryAsync(problems, $"heal {name}", () => state.Faults.HealAsync(state.Nodes[name], cancellationToken));
            }

            state.Partitioned.Clear();
            state.Record.Event("heal", "network faults removed");
        }

        if (problems.Count > 0)
        {
            throw new ChaosRunException("could not undo every fault: " + string.Join("; ", problems));
        }
    }

    private static async Task TryAsync(List<string> problems, string what, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            problems.Add($"{what}: {e.Message}");
        }
    }

    /// <summary>
    /// Waits until every node is Ready, an external datastore's nodes all serve and, where the datastore has members,
    /// a leader is agreed; returns why not, or null.
    /// </summary>
    private async Task<string?> WaitWholeAsync(RunState state, ReadinessObserver readiness, CancellationToken cancellationToken)
    {
        var deadline = state.Record.Clock.Elapsed + RecoveryTimeout;
        string last = "no answer from the API";
        while (state.Record.Clock.Elapsed < deadline)
        {
            var ready = await readiness.ReadAsync(cancellationToken);
            var notReady = ready is null ? null : state.Nodes.K3sNodes.Where(n => ready.GetValueOrDefault(n) != "True").ToList();
            var leader = state.Datastore is null ? "n/a" : await state.Datastore.CurrentLeaderAsync(cancellationToken);
            var unhealthy = new List<string>();
            foreach (var node in state.Nodes.DatastoreNodes)
            {
                if (await DatastoreHealth.IsHealthyAsync(provider, state.Nodes[node], cancellationToken) != true)
                {
                    unhealthy.Add(node);
                }
            }

            if (notReady is { Count: 0 } && leader is not null && unhealthy.Count == 0)
            {
                state.Record.Event("note", "cluster whole again: every node Ready" + (state.Datastore is null ? "" : $", {leader} leads") + (state.Nodes.DatastoreNodes.Count > 0 ? ", datastore serves" : ""));
                return null;
            }

            last = (notReady is null ? "the API did not answer" : $"not Ready: {string.Join(", ", notReady)}") + (leader is null ? "; no agreed leader" : "")
                + (unhealthy.Count > 0 ? $"; datastore not serving on {string.Join(", ", unhealthy)}" : "");
            await Task.Delay(1000, cancellationToken);
        }

        return $"the cluster did not recover within {RecoveryTimeout.TotalSeconds:0} s after healing ({last})";
    }

    /// <summary>
    /// Every member's HashKV at one common revision, taken after the same compaction. A compaction applied between
    /// two members' answers changes what one of them hashes, so that round is taken again, for up to 60 s.
    /// </summary>
    private static async Task<IReadOnlyList<MemberDigest>> DigestsAsync(RunState state, Etcdctl etcdctl, CancellationToken cancellationToken)
    {
        var servers = state.Nodes.Members;
        var deadline = state.Record.Clock.Elapsed + TimeSpan.FromSeconds(60);
        IReadOnlyList<MemberDigest> digests = [];
        while (true)
        {
            var seen = state.Datastore is null ? [] : await state.Datastore.PollAsync(cancellationToken);
            var common = seen.Count == servers.Count && seen.All(s => s.Revision is not null) && seen.Select(s => s.Revision).Distinct().Count() == 1 ? seen[0].Revision : null;
            var round = new List<MemberDigest>();
            foreach (var server in servers)
            {
                var revision = seen.FirstOrDefault(s => s.Node == server)?.Revision;
                var hash = common is { } r ? await etcdctl.HashKvAsync(state.Nodes[server], r, cancellationToken) : null;
                round.Add(new MemberDigest(server, revision, hash?.Hash, hash?.CompactRevision));
            }

            digests = round;
            var settled = common is not null && round.All(d => d.Hash is not null) && round.Select(d => d.CompactRevision).Distinct().Count() == 1;
            if (settled || state.Record.Clock.Elapsed >= deadline)
            {
                return digests;
            }

            await Task.Delay(1000, cancellationToken);
        }
    }
}
