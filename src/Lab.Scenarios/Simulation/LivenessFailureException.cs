namespace K3sLab.Scenarios.Simulation;

/// <summary>The run cannot make progress (a message storm, a Ready loop that never settles): a liveness failure.</summary>
internal sealed class LivenessFailureException(string message) : Exception(message);
