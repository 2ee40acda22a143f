namespace K3sLab.Scenarios.Simulation.Scripted;

/// <summary>A scenario's <c>expect</c> step (or its <c>write-gap</c> bound) did not hold in the simulator.</summary>
internal sealed class ScenarioExpectationException(string message) : Exception(message);
