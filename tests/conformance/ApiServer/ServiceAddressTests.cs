using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// Service addresses on a real <c>k3s server</c> (default <c>--service-cidr</c> 10.43.0.0/16): the
/// <c>kubernetes</c> Service on 10.43.0.1, a cluster IP for every ClusterIP Service, node ports in 30000-32767,
/// addresses kept across an update that leaves them out, and kube-apiserver's 422s for taken or out-of-range ones.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ServiceAddressTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    [Fact]
    public async Task Services_GetAddressesFromTheServiceRange()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = (await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "get", "service", "kubernetes", "-n", "default")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        table[1].Should().MatchRegex(@"^kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443/TCP\s+\d+s$");
        var endpoints = await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "get", "endpoints", "kubernetes", "-n", "default", "-o", "jsonpath={.subsets[0].ports[0].port}");
        endpoints.Stdout.Should().Be(new Uri(server.Url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        var web = await client.CoreV1.CreateNamespacedServiceAsync(Service("web", "ClusterIP"), "default", cancellationToken: ct);
        var ip = IPAddress.Parse(web.Spec.ClusterIP);
        IPNetwork.Parse("10.43.0.0/16").Contains(ip).Should().BeTrue();
        web.Spec.ClusterIPs.Should().Equal(web.Spec.ClusterIP);
        web.Spec.IpFamilies.Should().Equal("IPv4");

        var exposed = await client.CoreV1.CreateNamespacedServiceAsync(Service("exposed", "NodePort"), "default", cancellationToken: ct);
        exposed.Spec.Ports[0].NodePort.Should().BeInRange(30000, 32767);

        // A replace that leaves the addresses out keeps them.
        var clusterIp = exposed.Spec.ClusterIP;
        exposed.Spec.ClusterIP = null;
        exposed.Spec.ClusterIPs = null;
        var nodePort = exposed.Spec.Ports[0].NodePort;
        exposed.Spec.Ports[0].NodePort = null;
        var replaced = await client.CoreV1.ReplaceNamespacedServiceAsync(exposed, "exposed", "default", cancellationToken: ct);
        replaced.Spec.ClusterIP.Should().Be(clusterIp);
        replaced.Spec.Ports[0].NodePort.Should().Be(nodePort);

        var taken = Service("taken", "ClusterIP");
        taken.Spec.ClusterIP = web.Spec.ClusterIP;
        var refused = (await ((Func<Task>)(() => client.CoreV1.CreateNamespacedServiceAsync(taken, "default", cancellationToken: ct))).Should().ThrowAsync<HttpOperationException>()).Which.Response;
        ((int)refused.StatusCode).Should().Be(422);
        refused.Content.Should().Contain($"spec.clusterIPs: Invalid value: []string{{\\\"{web.Spec.ClusterIP}\\\"}}: failed to allocate IP {web.Spec.ClusterIP}: provided IP is already allocated");

        var outside = Service("outside", "ClusterIP");
        outside.Spec.ClusterIP = "10.99.0.1";
        var wrong = (await ((Func<Task>)(() => client.CoreV1.CreateNamespacedServiceAsync(outside, "default", cancellationToken: ct))).Should().ThrowAsync<HttpOperationException>()).Which.Response;
        wrong.Content.Should().Contain("failed to allocate IP 10.99.0.1: the provided IP (10.99.0.1) is not in the valid range. The range of valid IPs is 10.43.0.0/16");
    }

    [Fact]
    public async Task LoadBalancerWithLocalPolicy_GetsAHealthCheckNodePort_ReleasedWhenThePolicyChanges()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        var local = Service("health-local", "LoadBalancer");
        local.Spec.ExternalTrafficPolicy = "Local";
        var created = await client.CoreV1.CreateNamespacedServiceAsync(local, "default", cancellationToken: ct);
        var port = created.Spec.HealthCheckNodePort;
        port.Should().BeInRange(30000, 32767).And.NotBe(created.Spec.Ports[0].NodePort);

        // Taken by the first, so refused to a second Service as a node port, with kube-apiserver's words.
        var clash = Service("health-clash", "NodePort");
        clash.Spec.Ports[0].NodePort = port;
        var refused = (await ((Func<Task>)(() => client.CoreV1.CreateNamespacedServiceAsync(clash, "default", cancellationToken: ct))).Should().ThrowAsync<HttpOperationException>()).Which.Response;
        refused.Content.Should().Contain($"spec.ports[0].nodePort: Invalid value: {port}: provided port is already allocated");

        var patched = await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("""{"spec":{"externalTrafficPolicy":"Cluster"}}""", V1Patch.PatchType.MergePatch), "health-local", "default", cancellationToken: ct);
        patched.Spec.HealthCheckNodePort.Should().BeNull("the Cluster policy needs no health check port");

        var misplaced = Service("health-misplaced", "NodePort");
        misplaced.Spec.HealthCheckNodePort = 31999;
        var invalid = (await ((Func<Task>)(() => client.CoreV1.CreateNamespacedServiceAsync(misplaced, "default", cancellationToken: ct))).Should().ThrowAsync<HttpOperationException>()).Which.Response;
        ((int)invalid.StatusCode).Should().Be(422);
        invalid.Content.Should().Contain("spec.healthCheckNodePort: Invalid value: 31999: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
        await client.CoreV1.DeleteNamespacedServiceAsync("health-local", "default", cancellationToken: ct);
    }

    private static V1Service Service(string name, string type) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ServiceSpec { Type = type, Selector = new Dictionary<string, string> { ["app"] = name }, Ports = [new V1ServicePort { Port = 80, TargetPort = 8080 }] },
    };
}
