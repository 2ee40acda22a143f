namespace K3sLab.Lab.Bench;

/// <summary>
/// A baseline or results file the gate cannot use (not JSON, another format, a field missing); the message names the
/// file and what to do. The gate exits 2 on it, distinct from a regression's 1.
/// </summary>
internal sealed class BenchInputException(string message) : Exception(message);
