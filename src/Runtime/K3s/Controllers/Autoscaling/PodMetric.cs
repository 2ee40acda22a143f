namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>One pod's usage of a resource in milli-units (millicores, millibytes), and the sample's time and window.</summary>
internal readonly record struct PodMetric(long Value, DateTimeOffset Timestamp, TimeSpan Window);
