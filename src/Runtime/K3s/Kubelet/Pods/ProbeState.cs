namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// The kubelet's threshold logic for one probe of one container run: a result flips only after
/// <c>successThreshold</c> consecutive successes or <c>failureThreshold</c> consecutive failures. A readiness probe
/// starts failed (not ready until it succeeds); a liveness probe starts succeeded. Pure; not thread-safe.
/// </summary>
internal sealed class ProbeState(ProbeSpec spec, bool initiallySucceeded)
{
    private int _successes;
    private int _failures;

    /// <summary>The probe's current result.</summary>
    public bool Succeeded { get; private set; } = initiallySucceeded;

    /// <summary>Records one probe outcome; returns true when <see cref="Succeeded"/> changed.</summary>
    public bool Record(bool success)
    {
        if (success)
        {
            _failures = 0;
            _successes++;
            if (!Succeeded && _successes >= spec.SuccessThreshold)
            {
                Succeeded = true;
                return true;
            }
        }
        else
        {
            _successes = 0;
            _failures++;
            if (Succeeded && _failures >= spec.FailureThreshold)
            {
                Succeeded = false;
                return true;
            }
        }

        return false;
    }
}
