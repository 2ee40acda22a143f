using System.Security.Cryptography.X509Certificates;

namespace K3sLab.Perf.Api;

/// <summary>
/// What the api suite drives: a fresh <c>k3s server</c> it started itself (<see cref="ApiServerProcess"/>), or a running
/// lab cluster through its load balancer (<see cref="ClusterTarget"/>). The suite reaches it with the admin client
/// certificate and trusts only its CA; the server side's CPU and memory come from wherever the target can read them.
/// </summary>
internal interface IApiTarget
{
    Uri BaseAddress { get; }

    /// <summary>
    /// The prefix of every namespace the run creates: a fresh server starts empty, a cluster may already hold an
    /// earlier run's namespaces, so there it carries a run id.
    /// </summary>
    string NamespacePrefix { get; }

    /// <summary>The admin client certificate with its key.</summary>
    X509Certificate2 LoadClientCertificate();

    /// <summary>The CA the API's serving certificate must chain to.</summary>
    X509Certificate2 LoadCa();

    /// <summary>User plus system CPU seconds the server side has used so far (all servers of a cluster together).</summary>
    double CpuSeconds();

    /// <summary>The server side's resident memory now, in MiB (all servers of a cluster together).</summary>
    double RssMiB();
}
