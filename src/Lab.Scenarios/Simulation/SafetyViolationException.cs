namespace K3sLab.Scenarios.Simulation;

/// <summary>An invariant broke: the run is a safety failure with this message.</summary>
internal sealed class SafetyViolationException(string message) : Exception(message);
