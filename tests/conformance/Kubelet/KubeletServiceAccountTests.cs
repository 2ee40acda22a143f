using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Kubelet;

/// <summary>
/// A pod's API access, end to end: the ServiceAccount admission mounts the <c>kube-api-access</c> projected volume
/// (bound token, cluster CA, namespace) and the kubelet gives the <c>KUBERNETES_SERVICE_*</c> variables, so a real
/// kubectl inside the pod, with no kubeconfig, uses its in-cluster configuration and is the pod's service account.
/// A pod naming an account that does not exist is refused with kube's message; <c>automountServiceAccountToken:
/// false</c> mounts nothing. An exec probe runs where the container's volumes are mounted.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class KubeletServiceAccountTests(KubeletServer kubelet) : IClassFixture<KubeletServer>
{
    [Fact]
    public async Task KubectlInAPod_UsesTheInClusterConfig_AsThePodsServiceAccount()
    {
        var ct = TestContext.Current.CancellationToken;
        var home = Directory.CreateTempSubdirectory("k3slab-incluster-home-");
        try
        {
            await kubelet.ApplyAsync($$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: in-cluster, namespace: default}
                spec:
                  nodeName: {{KubeletServer.NodeName}}
                  restartPolicy: Never
                  containers:
                  - name: app
                    image: busybox
                    env: [{name: HOME, value: {{home.FullName}} }]
                    command: [sh, -c, 'kubectl auth whoami -o jsonpath="{.status.userInfo.username}"; echo; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; ls /var/run/secrets/kubernetes.io/serviceaccount | tr "\n" " "; echo; echo "api=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"']
                """, ct);

            var pod = await kubelet.PodUntilAsync("in-cluster", p => KubeletServer.At(p, "status", "phase") is "Succeeded" or "Failed", TimeSpan.FromSeconds(60), ct);
            var uid = KubeletServer.At(pod, "metadata", "uid")!;
            var log = File.ReadAllText(kubelet.Server.ContainerLog("default", "in-cluster", uid, "app"));
            KubeletServer.At(pod, "status", "phase").Should().Be("Succeeded", $"{log}\n{pod}");
            log.Should().ContainAll("F system:serviceaccount:default:default\n", "F default\n", "F ca.crt namespace token \n", $"F api=127.0.0.1:{kubelet.Server.Port}\n");

            var volume = pod!["spec"]!["volumes"]!.AsArray().Single()!;
            volume["name"]!.GetValue<string>().Should().MatchRegex("^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$");
            pod["spec"]!["containers"]![0]!["volumeMounts"]![0]!.ToJsonString().Should().Be(
                $$"""{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"{{volume["name"]}}","readOnly":true}""");
            pod["spec"]!["serviceAccountName"]!.GetValue<string>().Should().Be("default");
            pod["spec"]!["serviceAccount"]!.GetValue<string>().Should().Be("default");
        }
        finally
        {
            await kubelet.KubectlAsync(ct, "delete", "pod", "in-cluster", "--ignore-not-found", "--timeout=60s");
            home.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ExecProbe_SeesTheContainersVolumes_ItsServiceAccountToken()
    {
        var ct = TestContext.Current.CancellationToken;
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: token-probe, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              containers:
              - name: app
                image: busybox
                command: [sleep, "3600"]
                readinessProbe:
                  exec: {command: [sh, -c, 'test -s /var/run/secrets/kubernetes.io/serviceaccount/token && grep -qx default /var/run/secrets/kubernetes.io/serviceaccount/namespace']}
                  periodSeconds: 1
            """, ct);
        try
        {
            var pod = await kubelet.PodUntilAsync("token-probe", p => KubeletServer.At(KubeletServer.Container(p), "ready") == "true", TimeSpan.FromSeconds(60), ct);
            KubeletServer.At(KubeletServer.Container(pod), "ready").Should().Be("true", $"the probe runs where the volume is mounted: {pod}");
        }
        finally
        {
            await kubelet.KubectlAsync(ct, "delete", "pod", "token-probe", "--grace-period=1", "--timeout=60s");
        }
    }

    [Fact]
    public async Task Pod_NamingAMissingServiceAccount_IsForbidden_AndAutomountFalse_MountsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = Path.Combine(kubelet.Server.Root.FullName, "missing-sa.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: v1
            kind: Pod
            metadata: {name: missing-sa, namespace: default}
            spec:
              serviceAccountName: builder
              containers: [{name: app, image: busybox, command: [sleep, "1"]}]
            """, ct);
        var refused = await Kubectl.RunAsync("1.33", kubelet.Server.Kubeconfig, ct, "create", "-f", file);
        refused.ExitCode.Should().NotBe(0);
        refused.Stderr.Should().Contain("Error from server (Forbidden)")
            .And.Contain("pods \"missing-sa\" is forbidden: error looking up service account default/builder: serviceaccount \"builder\" not found");

        await kubelet.ApplyAsync("""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: quiet, namespace: default}
            automountServiceAccountToken: false
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: no-token, namespace: default}
            spec:
              serviceAccountName: quiet
              containers: [{name: app, image: busybox, command: [sleep, "1"]}]
            """, ct);
        var pod = await kubelet.GetAsync(ct, "pod", "no-token");
        pod!["spec"]!["volumes"].Should().BeNull("the account opts out of automounting");
        pod["spec"]!["containers"]![0]!["volumeMounts"].Should().BeNull();
        await kubelet.KubectlAsync(ct, "delete", "pod", "no-token", "--timeout=60s");
    }
}
