namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// One probe attempt's outcome and what it said, in the kubelet's words: an exec probe's output, or for httpGet and
/// tcpSocket the status or dial error (<c>HTTP probe failed with statuscode: 503</c>,
/// <c>dial tcp 10.0.0.5:8080: connect: connection refused</c>). A failed attempt's output ends up in the
/// <c>Unhealthy</c> event.
/// </summary>
internal readonly record struct ProbeResult(bool Passed, string Output)
{
    public static readonly ProbeResult Pass = new(true, string.Empty);

    public static ProbeResult Fail(string output) => new(false, output);
}
