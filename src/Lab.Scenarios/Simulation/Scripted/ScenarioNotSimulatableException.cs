namespace K3sLab.Scenarios.Simulation.Scripted;

/// <summary>A scenario uses a datastore, cluster shape or fault the deterministic simulator does not model.</summary>
internal sealed class ScenarioNotSimulatableException(string scenario, int line, string reason)
    : Exception($"{scenario}{(line > 0 ? $" line {line}" : "")} cannot run in the simulator: {reason}")
{
    /// <summary>The scenario's line that cannot be simulated (0: the scenario as a whole).</summary>
    public int Line { get; } = line;
}
