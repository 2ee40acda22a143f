using K3sLab.Lab;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Chaos.Definitions;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>The steps that change which nodes the cluster has, or where they are: <c>join</c> and <c>change-ip</c>.</summary>
public sealed partial class ScenarioRunner
{
    /// <summary>How long a recreated load balancer may take to answer through its published port.</summary>
    private static readonly TimeSpan BalancerTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Creates the new nodes together and tracks them under their short names, so later steps, the observers and
    /// the checks see them. Their containers' start is recorded for <c>no-restarts</c>, as the run's start is for the
    /// nodes it began with.
    /// </summary>
    private async Task JoinAsync(JoinStep step, RunState state, CancellationToken cancellationToken)
    {
        IReadOnlyList<LabNode> joined;
        try
        {
            // The balancer's new list goes on the timeline at the moment it took effect.
            joined = await new NodeAdder(provider, logger).JoinAsync(
                cluster.Name, step.Servers, step.Agents, BalancerTimeout, () => state.Record.Event("fault", "load balancer lists the joining servers too"), cancellationToken);
        }
        catch (LabSetupException e)
        {
            throw new ChaosRunException($"join failed: {e.Message}");
        }

        var names = new List<string>();
        foreach (var node in joined)
        {
            state.Nodes.Track(node);
            var name = ChaosNodes.ShortName(cluster.Name, node);
            names.Add(name);
            state.StartedWith[name] = await provider.InspectAsync(node, cancellationToken);
        }

        state.Record.Event("fault", $"join {string.Join(", ", names)} at once (their containers started)");
    }

    /// <summary>Moves the node to a spare address across a clean restart, then follows it there.</summary>
    private async Task ChangeIpAsync(ChangeIpStep step, RunState state, CancellationToken cancellationToken)
    {
        var name = await state.ResolveAsync(step.Target, cancellationToken);
        if (step.As is { } bound)
        {
            state.Nodes.Bind(bound, name);
        }

        if (state.Paused.Contains(name) || state.Partitioned.Contains(name))
        {
            throw new ChaosRunException($"change-ip {name}: the node is {(state.Paused.Contains(name) ? "paused; unpause" : "cut off; heal")} it first");
        }

        var node = state.Nodes[name];
        LabNode moved;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(StopGrace + BalancerTimeout);
            moved = await new NodeMover(provider, logger).MoveAsync(node, StopGrace, deadline.Token);
        }
        catch (Exception e) when (e is LabSetupException or Docker.DotNet.DockerApiException or HttpRequestException or IOException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new ChaosRunException($"change-ip {name} failed: {e.Message}");
        }

        state.Nodes.Track(moved);
        state.Endpoints.Forget(name);
        state.Down.Remove(name);
        state.Record.Event("fault", $"change-ip {name}: {node.Address} -> {moved.Address} (stopped, disk carried over, started)");
    }
}
