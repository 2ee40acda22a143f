using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Agent;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Kubelet;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.K3s.Hollow;

/// <summary>
/// Runs many kubemark-style hollow nodes in one process. The cluster is trusted once, as an agent does (the token's
/// CA hash checked against <c>/cacerts</c>, then <c>/v1-k3s/config</c>); then every node joins as a real agent does,
/// with a node password of its own and a <c>client-kubelet</c> certificate for <c>system:node:&lt;name&gt;</c> from the
/// supervisor, and runs the real kubelet loops (registration, Lease every 10 s, node status, pod sync) over its own
/// connection to <c>--server</c>, with a <see cref="HollowRuntime"/> shared by all. No load balancer, tunnel,
/// kubelet API or serving certificate per node: nothing dials a hollow node. The clock and the logger are shared.
/// </summary>
internal sealed partial class HollowNodes(HollowNodeSettings settings, ILoggerFactory loggers)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private readonly ILogger _logger = loggers.CreateLogger("k3s.hollow");
    private readonly ILogger _kubeletLogger = loggers.CreateLogger("k3s.kubelet");
    private readonly HollowRuntime _runtime = new();

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Log.Starting(_logger, settings.Count, settings.ServerUrl.ToString(), settings.Root);
        Directory.CreateDirectory(settings.Root);
        var clock = Stopwatch.StartNew();
        X509Certificate2 ca;
        try
        {
            ca = await RetryAsync(() => TrustClusterAsync(cancellationToken), cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }

        var kubelets = new Kubelet.Kubelet?[settings.Count];
        var certificates = new X509Certificate2?[settings.Count];
        using (ca)
        using (var supervisor = new SupervisorClient(settings.ServerUrl, ca, settings.Token.Password))
        {
            try
            {
                await Parallel.ForAsync(0, settings.Count, new ParallelOptions { MaxDegreeOfParallelism = settings.JoinConcurrency, CancellationToken = cancellationToken }, async (i, ct) =>
                {
                    certificates[i] = await RetryAsync(() => JoinAsync(i, supervisor, ct), ct);
                    kubelets[i] = Kubelet.Kubelet.StartHollow(Settings(i), certificates[i]!, ca, _runtime, TimeProvider.System, _kubeletLogger);
                });
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                var rss = Environment.WorkingSet;
                Log.Joined(_logger, settings.Count, clock.Elapsed.TotalSeconds, rss / (1024 * 1024), rss / 1024 / settings.Count);
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Log.Stopping(_logger);
            }

            await Task.WhenAll(kubelets.OfType<Kubelet.Kubelet>().Select(k => k.DisposeAsync().AsTask()));
        }

        foreach (var certificate in certificates)
        {
            certificate?.Dispose();
        }

        return 0;
    }

    /// <summary>Node <paramref name="index"/>'s kubelet settings: its name, loopback address, label and fixed machine.</summary>
    private KubeletSettings Settings(int index)
    {
        var name = NodeName(index);
        return new KubeletSettings(
            name,
            HollowNodeFacts.Address(index),
            null,
            new Dictionary<string, string> { [HollowNodeFacts.Label] = "true" },
            [],
            ControlPlane: false,
            settings.ServerUrl,
            AgentDirectory(name))
        {
            ContainerRuntime = HollowRuntime.Scheme,
            FixedFacts = HollowNodeFacts.For(name),
        };
    }

    private string NodeName(int index) => settings.NamePrefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string AgentDirectory(string name) => new DataDir(Path.Combine(settings.Root, name)).Agent;

    /// <summary>Checks the server's CA against the token and reads the cluster's config, as <c>k3s agent</c> does first.</summary>
    private async Task<X509Certificate2> TrustClusterAsync(CancellationToken ct)
    {
        var ca = X509CertificateLoader.LoadCertificate(await ClusterCaFetcher.FetchAsync(settings.ServerUrl, settings.Token, ct));
        try
        {
            using var supervisor = new SupervisorClient(settings.ServerUrl, ca, settings.Token.Password);
            await supervisor.ConfigAsync(ct);
            return ca;
        }
        catch
        {
            ca.Dispose();
            throw;
        }
    }

    /// <summary>Node <paramref name="index"/>'s password and client certificate, kept under its own directory.</summary>
    private async Task<X509Certificate2> JoinAsync(int index, SupervisorClient supervisor, CancellationToken ct)
    {
        var name = NodeName(index);
        var root = new DataDir(Path.Combine(settings.Root, name));
        Directory.CreateDirectory(root.Agent);
        var password = NodePasswordFile.Ensure(Path.Combine(root.Agent, "node-password"), root);
        return await NodeCertificateRequest.RequestAsync(supervisor, settings.ServerUrl, root.Agent, name, HollowNodeFacts.Address(index).ToString(), password, serving: false, ct);
    }

    /// <summary>Retries a join step while the server is not there or not ready, as the agent does; a wrong token ends it.</summary>
    private async Task<T> RetryAsync<T>(Func<Task<T>> step, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await step();
            }
            catch (ServerNotReadyException e)
            {
                Log.Waiting(_logger, e.Message);
            }

            await Task.Delay(RetryDelay * (1 + Random.Shared.NextDouble()), ct);
        }
    }
}
