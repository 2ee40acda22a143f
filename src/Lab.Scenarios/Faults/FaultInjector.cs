using K3sLab.Lab.Providers;

namespace K3sLab.Scenarios.Faults;

/// <summary>A fault could not be applied; the message names the node and what it said.</summary>
public sealed class FaultInjectionException(string message) : Exception(message);

/// <summary>
/// Applies and heals <see cref="NetworkFault"/>s on lab nodes through the provider's exec, and records each with
/// its wall time (UTC) so reports can put faults on a timeline.
/// </summary>
public sealed class FaultInjector(INodeProvider provider, TimeProvider? time = null)
{
    private readonly List<FaultRecord> _history = [];
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Every fault applied or healed so far, in order.</summary>
    public IReadOnlyList<FaultRecord> History => _history;

    public async Task ApplyAsync(LabNode node, NetworkFault fault, CancellationToken cancellationToken)
    {
        var result = await provider.ExecAsync(node, ["/bin/sh", "-c", fault.ApplyScript()], cancellationToken);
        if (result.ExitCode != 0)
        {
            var hint = result.Stderr.Contains("Permission denied", StringComparison.Ordinal) ? " (the node lacks NET_ADMIN)" : string.Empty;
            throw new FaultInjectionException($"could not apply {fault} on {node.Name}{hint}: {result.Stderr.Trim()}");
        }

        _history.Add(new FaultRecord(_time.GetUtcNow(), node.Name, fault.ToString(), Healed: false));
    }

    public async Task HealAsync(LabNode node, CancellationToken cancellationToken)
    {
        await provider.ExecAsync(node, ["/bin/sh", "-c", NetworkFault.HealScript()], cancellationToken);
        _history.Add(new FaultRecord(_time.GetUtcNow(), node.Name, "heal", Healed: true));
    }
}

/// <summary>One fault event: when, on which node, what.</summary>
public sealed record FaultRecord(DateTimeOffset At, string Node, string Fault, bool Healed);
