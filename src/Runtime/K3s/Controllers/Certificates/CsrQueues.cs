namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// The work queue of the signing and approving controllers, with upstream's certificate-controller backoff:
/// 200 ms doubling per failure up to 1000 s, so a request waiting on RBAC or a CA is retried but not hammered.
/// </summary>
internal static class CsrQueues
{
    public static WorkQueue Create(TimeProvider time) => new(time, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1000));
}
