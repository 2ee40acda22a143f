namespace K3sLab.Lab.Bench;

/// <summary>How one phase fared against one threshold.</summary>
internal sealed record ThresholdVerdict(string Threshold, string Phase, string Measured, bool Passed);
