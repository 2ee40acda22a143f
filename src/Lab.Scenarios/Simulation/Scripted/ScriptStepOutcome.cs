namespace K3sLab.Scenarios.Simulation.Scripted;

/// <summary>One scenario step as the simulator ran it, in virtual seconds.</summary>
/// <param name="Line">The step's YAML line.</param>
/// <param name="Step">The step as reports show it.</param>
/// <param name="At">When it started, from the run's start.</param>
/// <param name="Took">How long it ran (for an <c>expect</c>, until its condition held).</param>
/// <param name="Skipped">Why the simulator skipped it (a node or condition it does not model), or null.</param>
internal sealed record ScriptStepOutcome(int Line, string Step, double At, double Took, string? Skipped);
