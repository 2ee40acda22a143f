using System.Globalization;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Workloads;

/// <summary>
/// The Service probe (<c>service-probe</c>): a web pod on every agent behind one ClusterIP Service, and a client pod
/// on the chosen node that looks the Service up by its short name and GETs it, one call after another with 0.25 s
/// between them (about two calls a second with the shell's own start-up), each under a
/// <see cref="ServiceProbeCall.TimeoutSeconds"/> s timeout. A call goes where any pod's call goes: the pod's
/// resolv.conf, the kube-dns Service (the cluster DNS in the servers) and the service proxy's rules on its node. The
/// client writes one line per call to its output, with the node's wall-clock times; the lines are read through the
/// API when the run ends, so a fault cannot lose them.
/// </summary>
public sealed class ServiceProbeWorkload(ApiEndpoints endpoints, ChaosNodes nodes, RunRecord record, string runId) : IAsyncDisposable
{
    private const string Label = "k3slab.io/service-probe";
    private const int WebPort = 8080;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    // One line per call: start, end, exit code, the answer's last line (or the error), on one line.
    private const string ClientScript = """
        while :; do
          s=$EPOCHREALTIME
          r=$(timeout "$PROBE_TIMEOUT" bash -c 'exec 3<>"/dev/tcp/$SERVICE/80" && printf "GET / HTTP/1.0\r\n\r\n" >&3 && tail -n1 <&3' 2>&1)
          c=$?
          r=${r//$'\n'/ }
          echo "$s $EPOCHREALTIME $c ${r//$'\r'/}"
          sleep 0.25
        done
        """;

    private const string WebScript = """$s=IO::Socket::INET->new(LocalPort=>8080,Listen=>64,ReuseAddr=>1) or die $!; while($c=$s->accept){while(<$c>){last if /^\r?$/} print $c "HTTP/1.0 200 OK\r\n\r\nhello from $ENV{HOSTNAME}\n"; close $c}""";

    private string? _from;

    /// <summary>The Service's name (also the client's DNS query).</summary>
    public string Service => $"probe-{runId}";

    private string ClientPod => $"probe-client-{runId}";

    /// <summary>Whether the probe was started.</summary>
    public bool Started => _from is not null;

    /// <summary>
    /// Creates the Service, one web pod on every agent and the client pod on <paramref name="from"/> (each bound to its
    /// node by name), and returns once the client's first call has been answered.
    /// </summary>
    /// <exception cref="ChaosRunException">A node has no Node object, or no call was answered within 120 s.</exception>
    public async Task StartAsync(string from, CancellationToken cancellationToken)
    {
        var api = endpoints.For("lb");
        await RegisterWorkload.EnsureNamespaceAsync(api, cancellationToken);
        var nodeNames = (await api.CoreV1.ListNodeAsync(cancellationToken: cancellationToken)).Items
            .Select(n => n.Metadata.Name)
            .ToDictionary(n => nodes.FromNodeName(n) ?? n, StringComparer.Ordinal);
        string NodeName(string shortName) => nodeNames.TryGetValue(shortName, out var name) ? name
            : throw new ChaosRunException($"service-probe: {shortName} has no Node in the cluster (Nodes: {string.Join(", ", nodeNames.Values)})");

        var selector = new Dictionary<string, string> { [Label] = runId };
        await api.CoreV1.CreateNamespacedServiceAsync(
            new V1Service
            {
                Metadata = new V1ObjectMeta { Name = Service, Labels = selector },
                Spec = new V1ServiceSpec { Selector = selector, Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = WebPort }] },
            },
            RegisterWorkload.Namespace,
            cancellationToken: cancellationToken);
        foreach (var agent in nodes.Names.Where(n => nodes[n].Role == Lab.Providers.NodeRole.Agent))
        {
            await api.CoreV1.CreateNamespacedPodAsync(WebPod(agent, NodeName(agent), selector), RegisterWorkload.Namespace, cancellationToken: cancellationToken);
        }

        await api.CoreV1.CreateNamespacedPodAsync(ClientPodSpec(NodeName(from)), RegisterWorkload.Namespace, cancellationToken: cancellationToken);
        _from = from;
        await WaitFirstAnswerAsync(api, cancellationToken);
        record.Event("note", $"service-probe: {ClientPod} on {from} calls http://{Service} one call after another (web pods on every agent)");
    }

    /// <summary>Every call the client made, read from its output through the load balancer (retried for up to <paramref name="timeout"/>).</summary>
    public async Task<ServiceProbeResult> ResultsAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var calls = Parse(await LogAsync(endpoints.For("lb"), cancellationToken));
                NoteFailures(calls);
                return new ServiceProbeResult(_from!, Service, calls);
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested && DateTime.UtcNow < deadline)
            {
                await Task.Delay(1000, cancellationToken);
            }
        }
    }

    /// <summary>Removes the Service and the pods (best effort: the namespace is the lab's, and the names carry the run id).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Started)
        {
            return;
        }

        try
        {
            var api = endpoints.For("lb");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await api.CoreV1.DeleteNamespacedPodAsync(ClientPod, RegisterWorkload.Namespace, gracePeriodSeconds: 0, cancellationToken: timeout.Token);
            await api.CoreV1.DeleteCollectionNamespacedPodAsync(RegisterWorkload.Namespace, labelSelector: $"{Label}={runId}", gracePeriodSeconds: 0, cancellationToken: timeout.Token);
            await api.CoreV1.DeleteNamespacedServiceAsync(Service, RegisterWorkload.Namespace, cancellationToken: timeout.Token);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException or IOException)
        {
            // Left behind on a cluster that no longer answers; the next run's names differ.
        }
    }

    private V1Pod WebPod(string agent, string nodeName, IDictionary<string, string> selector) => new()
    {
        Metadata = new V1ObjectMeta { Name = $"probe-web-{runId}-{agent}", Labels = selector },
        Spec = new V1PodSpec
        {
            NodeName = nodeName,
            Containers =
            [
                new V1Container
                {
                    Name = "web",
                    Image = "debian",
                    Command = ["perl", "-MIO::Socket::INET", "-e", WebScript],
                    ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = WebPort }, PeriodSeconds = 1 },
                },
            ],
        },
    };

    private V1Pod ClientPodSpec(string nodeName) => new()
    {
        Metadata = new V1ObjectMeta { Name = ClientPod },
        Spec = new V1PodSpec
        {
            NodeName = nodeName,
            Containers =
            [
                new V1Container
                {
                    Name = "probe",
                    Image = "debian",
                    Command = ["bash", "-c", ClientScript],
                    Env =
                    [
                        new V1EnvVar { Name = "SERVICE", Value = Service },
                        new V1EnvVar { Name = "PROBE_TIMEOUT", Value = ServiceProbeCall.TimeoutSeconds.ToString(CultureInfo.InvariantCulture) },
                    ],
                },
            ],
        },
    };

    private async Task WaitFirstAnswerAsync(Kubernetes api, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        var seen = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                seen = await LogAsync(api, cancellationToken);
                if (Parse(seen).Any(c => c.Ok))
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
            {
                seen = $"(no output yet: {e.Message})";
            }

            await Task.Delay(1000, cancellationToken);
        }

        var last = string.Join(" | ", seen.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));
        throw new ChaosRunException($"service-probe: no call from {ClientPod} reached the Service {Service} in {StartTimeout.TotalSeconds:0} s; its last output: {(last.Length == 0 ? "none" : last)}");
    }

    private async Task<string> LogAsync(Kubernetes api, CancellationToken cancellationToken)
    {
        await using var stream = await api.CoreV1.ReadNamespacedPodLogAsync(ClientPod, RegisterWorkload.Namespace, container: "probe", cancellationToken: cancellationToken);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private List<ServiceProbeCall> Parse(string log) =>
        [.. log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => ServiceProbeCall.Parse(l, record.Clock.StartedAt)).OfType<ServiceProbeCall>().OrderBy(c => c.Start)];

    /// <summary>Puts every run of failed calls on the timeline, so the report shows them beside the faults.</summary>
    private void NoteFailures(IReadOnlyList<ServiceProbeCall> calls)
    {
        for (var i = 0; i < calls.Count; i++)
        {
            if (calls[i].Ok)
            {
                continue;
            }

            var first = i;
            while (i + 1 < calls.Count && !calls[i + 1].Ok)
            {
                i++;
            }

            var kinds = string.Join(", ", calls.Skip(first).Take(i - first + 1).GroupBy(c => c.Kind).Select(g => $"{g.Key} ×{g.Count()}"));
            record.Event("note", string.Create(CultureInfo.InvariantCulture, $"service-probe: {i - first + 1} call(s) to {Service} failed from {calls[first].Start:0.0} s to {calls[i].End:0.0} s ({kinds})"), calls[first].Start);
        }
    }
}

/// <summary>What the Service probe recorded: where it ran, which Service it called, and every call.</summary>
public sealed record ServiceProbeResult(string From, string Service, IReadOnlyList<ServiceProbeCall> Calls);
