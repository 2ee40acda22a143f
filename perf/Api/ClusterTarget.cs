using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using K3sLab.Lab.Cluster;

namespace K3sLab.Perf.Api;

/// <summary>
/// A running lab cluster as the api suite's target (<c>--cluster NAME</c>): its API through the load balancer the
/// lab publishes on 127.0.0.1, with the admin credentials of <c>~/.k3slab/NAME/kubeconfig</c>, and the CPU and memory
/// of all its server containers from their cgroups. Namespaces carry a run id, and the run deletes them at the end.
/// </summary>
internal sealed class ClusterTarget : IApiTarget
{
    private readonly KubernetesClientConfiguration _config;
    private readonly IReadOnlyList<string> _servers;

    private ClusterTarget(string name, KubernetesClientConfiguration config, IReadOnlyList<string> servers)
    {
        Name = name;
        _config = config;
        _servers = servers;
        BaseAddress = new Uri(config.Host);
        NamespacePrefix = string.Create(CultureInfo.InvariantCulture, $"perf-{DateTime.UtcNow:HHmmss}");
    }

    public string Name { get; }

    public int Servers => _servers.Count;

    public Uri BaseAddress { get; }

    public string NamespacePrefix { get; }

    /// <summary>The cluster <paramref name="name"/>, or a clear error when the lab has no such cluster or its kubeconfig lacks admin credentials.</summary>
    /// <exception cref="InvalidOperationException">No such cluster, or nothing to authenticate with.</exception>
    public static async Task<ClusterTarget> OpenAsync(string name, CancellationToken ct)
    {
        var path = ClusterKubeconfig.PathFor(name);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"no lab cluster '{name}': {path} does not exist (start one with ./k3slab up --name {name}, or see ./k3slab list)");
        }

        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        if (string.IsNullOrEmpty(config.ClientCertificateData) || string.IsNullOrEmpty(config.ClientCertificateKeyData) || config.SslCaCerts is not { Count: > 0 })
        {
            throw new InvalidOperationException($"{path} holds no admin client certificate and CA for cluster '{name}'");
        }

        var servers = await ServerContainersAsync(name, ct);
        if (servers.Count == 0)
        {
            throw new InvalidOperationException($"lab cluster '{name}' has a kubeconfig ({path}) but no running server container: is it stopped? (./k3slab start {name})");
        }

        return new ClusterTarget(name, config, servers);
    }

    public X509Certificate2 LoadClientCertificate() =>
        X509Certificate2.CreateFromPem(Pem(_config.ClientCertificateData!), Pem(_config.ClientCertificateKeyData!));

    public X509Certificate2 LoadCa() => new(_config.SslCaCerts[0]);

    public double CpuSeconds() => ContainerCgroups.CpuSeconds(_servers);

    public double RssMiB() => ContainerCgroups.MemoryMiB(_servers);

    private static string Pem(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64));

    private static async Task<IReadOnlyList<string>> ServerContainersAsync(string name, CancellationToken ct)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "ps", "-q", "--no-trunc", "--filter", $"label={K3sLab.Lab.Providers.LabNaming.ClusterLabel}={name}", "--filter", $"label={K3sLab.Lab.Providers.LabNaming.RoleLabel}=server" })
        {
            start.ArgumentList.Add(argument);
        }

        using var docker = Process.Start(start) ?? throw new InvalidOperationException("could not run docker to find the cluster's servers");
        var output = await docker.StandardOutput.ReadToEndAsync(ct);
        await docker.WaitForExitAsync(ct);
        return docker.ExitCode == 0
            ? [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]
            : throw new InvalidOperationException($"docker ps failed ({docker.ExitCode}): {await docker.StandardError.ReadToEndAsync(ct)}");
    }
}
