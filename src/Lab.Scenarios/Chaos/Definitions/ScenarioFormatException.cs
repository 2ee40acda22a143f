namespace K3sLab.Scenarios.Chaos.Definitions;

/// <summary>A scenario file is not valid; the message names the source, the line and what is wrong.</summary>
public sealed class ScenarioFormatException(string message) : Exception(message);
