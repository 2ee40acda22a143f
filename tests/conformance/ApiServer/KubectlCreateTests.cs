using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// kubectl's typed generators (<c>kubectl create namespace|configmap|secret|deployment|...</c>). kubectl 1.33 sends
/// their bodies in Kubernetes' protobuf encoding, kubectl 1.27 as JSON; either way the stored object must hold
/// what kubectl built, zero replicas, IntOrString ports and quantities included.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class KubectlCreateTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task TypedGenerators_CreateWhatKubectlBuilt(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var ns = "create-" + kubectl.Replace('.', '-');
        async Task Create(string expected, params string[] args)
        {
            var result = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, ["create", .. args]);
            result.ExitCode.Should().Be(0, result.Stderr + server.Log);
            result.Stdout.Trim().Should().Be(expected + " created");
        }

        async Task<string> Get(string what, string path, bool inNamespace = true)
        {
            var result = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, ["get", .. what.Split(' '), .. inNamespace ? new[] { "-n", ns } : [], "-o", $"jsonpath={path}"]);
            result.ExitCode.Should().Be(0, result.Stderr);
            return result.Stdout;
        }

        await Create($"namespace/{ns}", "namespace", ns);
        await Create("configmap/settings", "configmap", "settings", "-n", ns, "--from-literal=mode=fast", "--from-literal=empty=");
        await Create("secret/creds", "secret", "generic", "creds", "-n", ns, "--from-literal=password=s3cret");
        await Create("deployment.apps/idle", "deployment", "idle", "-n", ns, "--image=busybox:1.36", "--replicas=0", "--port=8080");
        await Create("service/web", "service", "nodeport", "web", "-n", ns, "--tcp=80:8080");
        await Create("serviceaccount/builder", "serviceaccount", "builder", "-n", ns);
        await Create("role.rbac.authorization.k8s.io/reader", "role", "reader", "-n", ns, "--verb=get,list", "--resource=pods,deployments.apps");
        await Create("rolebinding.rbac.authorization.k8s.io/reader", "rolebinding", "reader", "-n", ns, "--role=reader", "--user=alice", "--serviceaccount=" + ns + ":builder");
        await Create("job.batch/once", "job", "once", "-n", ns, "--image=busybox:1.36", "--", "echo", "hi");
        await Create("cronjob.batch/nightly", "cronjob", "nightly", "-n", ns, "--image=busybox:1.36", "--schedule=0 3 * * *");
        await Create("poddisruptionbudget.policy/half", "pdb", "half", "-n", ns, "--selector=app=web", "--min-available=50%");
        await Create("resourcequota/small", "quota", "small", "-n", ns, "--hard=cpu=1500m,memory=1Gi,pods=2");
        await Create("ingress.networking.k8s.io/front", "ingress", "front", "-n", ns, "--rule=example.com/api*=web:80");
        await Create($"priorityclass.scheduling.k8s.io/{ns}", "priorityclass", ns, "--value=0", "--description=zero");

        (await Get("configmap settings", "{.data}")).Should().Be("""{"empty":"","mode":"fast"}""");
        (await Get("secret creds", "{.data.password}")).Should().Be(Convert.ToBase64String("s3cret"u8));
        (await Get("deployment idle", "{.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort} {.spec.selector.matchLabels.app}")).Should().Be("0 busybox:1.36 8080 idle");
        (await Get("service web", "{.spec.type} {.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.ports[0].protocol}")).Should().Be("NodePort 80 8080 TCP");
        (await Get("role reader", "{.rules[0].verbs} {.rules[0].resources} {.rules[1].apiGroups}")).Should().Be("""["get","list"] ["pods"] ["apps"]""");
        (await Get("rolebinding reader", "{.roleRef.name} {.subjects[0].kind}/{.subjects[0].name} {.subjects[1].kind}/{.subjects[1].namespace}/{.subjects[1].name}")).Should().Be($"reader User/alice ServiceAccount/{ns}/builder");
        (await Get("job once", "{.spec.template.spec.containers[0].command}")).Should().Be("""["echo","hi"]""");
        (await Get("cronjob nightly", "{.spec.schedule} {.spec.jobTemplate.spec.template.spec.containers[0].image}")).Should().Be("0 3 * * * busybox:1.36");
        (await Get("pdb half", "{.spec.minAvailable} {.spec.selector.matchLabels.app}")).Should().Be("50% web");
        (await Get("quota small", "{.spec.hard.cpu} {.spec.hard.memory} {.spec.hard.pods}")).Should().Be("1500m 1Gi 2");
        (await Get("ingress front", "{.spec.rules[0].host} {.spec.rules[0].http.paths[0].path} {.spec.rules[0].http.paths[0].pathType} {.spec.rules[0].http.paths[0].backend.service.port.number}")).Should().Be("example.com /api Prefix 80");
        (await Get("priorityclass " + ns, "{.value} {.description}", inNamespace: false)).Should().Be("0 zero");
    }
}
