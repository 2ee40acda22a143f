using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// Persistent volumes as a k3s user meets them, with kubectl 1.33 and 1.27: the packaged <c>local-path</c> default
/// StorageClass; a StatefulSet's <c>volumeClaimTemplates</c> become claims that the scheduler places, the local-path
/// provisioner backs with a directory on the pod's node and the binder binds; a pod recreated from the set finds its
/// data again on the same node; a claim deleted while a pod mounts it waits (pvc-protection) and, once the pod is
/// gone, its volume and directory are removed by the helper pod. A static hostPath volume binds to a class-less
/// claim and is Released (kept) after it; a pod naming a missing claim gets the scheduler's message; and
/// <c>--disable local-storage</c> leaves no class behind.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class LocalStorageTests : IAsyncLifetime
{
    private readonly LoopbackCluster _cluster = new("k3slab-storage-");
    private readonly int _loadBalancerPort = FreePorts.Next();

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task StatefulSetClaims_LiveOnTheirPodsNode_SurviveThePod_AndGoWithTheClaim()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("s1", 1, runsKubelet: true);
        server.Start("--cluster-init");
        await server.WaitListeningAsync(TimeSpan.FromSeconds(60), ct);
        var agent = _cluster.Agent("a1", 11, _loadBalancerPort);
        agent.Start(server.Url, server.AgentToken);
        await server.WaitNodesReadyAsync(["s1", "a1"], TimeSpan.FromSeconds(120), ct);
        var root = Path.Combine(server.DataDir, "storage");

        foreach (var version in Kubectl.SupportedVersions)
        {
            var classes = await server.KubectlAsync(version, ct, "get", "storageclass", "--no-headers");
            Words(classes.Stdout).Select(w => string.Join(' ', w[..^1])).Should().Equal(["local-path (default) rancher.io/local-path Delete WaitForFirstConsumer false"], classes.Stderr);
        }

        await server.ApplyAsync("""
            apiVersion: v1
            kind: Service
            metadata: {name: db, namespace: default}
            spec: {clusterIP: None, selector: {app: db}, ports: [{port: 80}]}
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db, namespace: default}
            spec:
              serviceName: db
              replicas: 2
              podManagementPolicy: Parallel
              selector: {matchLabels: {app: db}}
              template:
                metadata: {labels: {app: db}}
                spec:
                  terminationGracePeriodSeconds: 1
                  affinity:
                    podAntiAffinity:
                      requiredDuringSchedulingIgnoredDuringExecution:
                      - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: db}}}
                  containers:
                  - name: c
                    image: busybox
                    command: [sh, -c, 'echo "$HOSTNAME" >> /data/log; exec sleep 3600']
                    volumeMounts: [{name: data, mountPath: /data}]
              volumeClaimTemplates:
              - metadata: {name: data}
                spec:
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 64Mi}}
            """, ct);

        var claims = await Eventually.UntilAsync(() => server.KubectlAsync(ct, "get", "pvc", "--no-headers"),
            r => Words(r.Stdout).Count == 2 && Words(r.Stdout).All(w => w[1] == "Bound"), TimeSpan.FromSeconds(90), ct);
        Words(claims.Stdout).Select(w => (w[0], w[3], w[4], w[5])).Should().Equal(("data-db-0", "64Mi", "RWO", "local-path"), ("data-db-1", "64Mi", "RWO", "local-path"));
        foreach (var ordinal in new[] { 0, 1 })
        {
            var pod = $"db-{ordinal}";
            await Eventually.UntilAsync(() => server.KubectlAsync(ct, "get", "pod", pod, "-o", "jsonpath={.status.phase}"), r => r.Stdout == "Running", TimeSpan.FromSeconds(60), ct);
            var node = (await server.KubectlAsync(ct, "get", "pod", pod, "-o", "jsonpath={.spec.nodeName}")).Stdout;
            var volume = (await server.KubectlAsync(ct, "get", "pvc", $"data-{pod}", "-o", "jsonpath={.spec.volumeName}")).Stdout;
            var pinned = (await server.KubectlAsync(ct, "get", "pv", volume, "-o", "jsonpath={.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}")).Stdout;
            pinned.Should().Be(node, "a local-path volume lives on the node its first pod was placed on");
            var log = Path.Combine(root, $"{volume}_default_data-{pod}", "log");
            await Eventually.UntilAsync(() => Task.FromResult(File.Exists(log) ? File.ReadAllText(log) : string.Empty), text => text == pod + "\n", TimeSpan.FromSeconds(30), ct);
        }

        var described = await server.KubectlAsync(ct, "describe", "pvc", "data-db-0");
        described.Stdout.Should().Contain("ProvisioningSucceeded").And.Contain("rancher.io/local-path");

        // A recreated pod goes back to its volume's node and finds what the first one wrote.
        var firstNode = (await server.KubectlAsync(ct, "get", "pod", "db-0", "-o", "jsonpath={.spec.nodeName}")).Stdout;
        var firstVolume = (await server.KubectlAsync(ct, "get", "pvc", "data-db-0", "-o", "jsonpath={.spec.volumeName}")).Stdout;
        (await server.KubectlAsync(ct, "delete", "pod", "db-0", "--wait=true")).ExitCode.Should().Be(0);
        var firstLog = Path.Combine(root, $"{firstVolume}_default_data-db-0", "log");
        await Eventually.UntilAsync(() => Task.FromResult(File.ReadAllText(firstLog)), text => text == "db-0\ndb-0\n", TimeSpan.FromSeconds(60), ct);
        (await server.KubectlAsync(ct, "get", "pod", "db-0", "-o", "jsonpath={.spec.nodeName}")).Stdout.Should().Be(firstNode);

        // Deleting a claim its pod still mounts waits for the pod; then the volume and its directory go.
        var secondVolume = (await server.KubectlAsync(ct, "get", "pvc", "data-db-1", "-o", "jsonpath={.spec.volumeName}")).Stdout;
        var secondDirectory = Path.Combine(root, $"{secondVolume}_default_data-db-1");
        (await server.KubectlAsync(ct, "delete", "pvc", "data-db-1", "--wait=false")).ExitCode.Should().Be(0);
        // What is checked is that nothing happens: the claim must still be held after the protection controller (which
        // acts within milliseconds of the deletion) has had time to let it go, so this waits rather than polls.
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        var terminating = await server.KubectlAsync(ct, "get", "pvc", "data-db-1", "--no-headers");
        Words(terminating.Stdout)[0][1].Should().Be("Terminating", "pvc-protection holds a claim a running pod mounts");
        Directory.Exists(secondDirectory).Should().BeTrue();
        (await server.KubectlAsync(ct, "scale", "statefulset", "db", "--replicas=1")).ExitCode.Should().Be(0);
        await Eventually.UntilAsync(() => server.KubectlAsync(ct, "get", "pv", secondVolume, "--ignore-not-found", "--no-headers"), r => r.ExitCode == 0 && r.Stdout.Trim().Length == 0, TimeSpan.FromSeconds(90), ct);
        await Eventually.UntilAsync(() => Task.FromResult(Directory.Exists(secondDirectory)), exists => !exists, TimeSpan.FromSeconds(30), ct);
        await Eventually.UntilAsync(() => server.KubectlAsync(ct, "get", "pods", "-n", "kube-system", "--no-headers"), r => !r.Stdout.Contains("helper-pod"), TimeSpan.FromSeconds(30), ct);
        Directory.Exists(Path.GetDirectoryName(firstLog)).Should().BeTrue("the other claim's volume is untouched");
    }

    [Fact]
    public async Task StaticVolume_BindsAndIsRetained_MissingClaimIsReported_DisabledLocalStorageHasNoClass()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("s1", 21, runsKubelet: true);
        server.Start("--disable", "local-storage");
        await server.WaitNodesReadyAsync(["s1"], TimeSpan.FromSeconds(120), ct);
        var hostDirectory = Path.Combine(_cluster.Root.FullName, "manual-1");

        (await server.KubectlAsync(ct, "get", "storageclass")).Stderr.Should().Contain("No resources found");
        var classFile = Path.Combine(_cluster.Root.FullName, "class.yaml");
        await File.WriteAllTextAsync(classFile, "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: manual}\nprovisioner: kubernetes.io/no-provisioner\nvolumeBindingModes: Immediate\n", ct);
        (await server.KubectlAsync(ct, "apply", "-f", classFile)).Stderr.Should().Contain("unknown field \"volumeBindingModes\"", "StorageClass has its OpenAPI schema, so strict field validation applies");
        (await server.KubectlAsync(ct, "explain", "storageclass.volumeBindingMode")).Stdout.Should().Contain("FIELD: volumeBindingMode <string>");
        await server.ApplyAsync($$$"""
            apiVersion: v1
            kind: PersistentVolume
            metadata: {name: manual-1}
            spec:
              capacity: {storage: 2Gi}
              accessModes: [ReadWriteOnce]
              hostPath: {path: "{{{hostDirectory}}}", type: DirectoryOrCreate}
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: manual, namespace: default}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: user, namespace: default}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - {name: c, image: busybox, command: [sh, -c, 'echo kept > /d/f; exec sleep 3600'], volumeMounts: [{name: d, mountPath: /d}]}
              volumes: [{name: d, persistentVolumeClaim: {claimName: manual}}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: orphan, namespace: default}
            spec:
              containers:
              - {name: c, image: busybox, command: [sleep, '3600'], volumeMounts: [{name: d, mountPath: /d}]}
              volumes: [{name: d, persistentVolumeClaim: {claimName: nope}}]
            """, ct);

        foreach (var version in Kubectl.SupportedVersions)
        {
            var volumes = await Eventually.UntilAsync(() => server.KubectlAsync(version, ct, "get", "pv", "--no-headers"),
                r => Words(r.Stdout).Count == 1 && Words(r.Stdout)[0][4] == "Bound", TimeSpan.FromSeconds(60), ct);
            Words(volumes.Stdout)[0][..6].Should().Equal("manual-1", "2Gi", "RWO", "Retain", "Bound", "default/manual");
        }

        await Eventually.UntilAsync(() => Task.FromResult(File.Exists(Path.Combine(hostDirectory, "f"))), exists => exists, TimeSpan.FromSeconds(60), ct);
        var scheduling = await Eventually.UntilAsync(() => server.KubectlAsync(ct, "get", "pod", "orphan", "-o", "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].message}"),
            r => r.Stdout.Length > 0, TimeSpan.FromSeconds(30), ct);
        scheduling.Stdout.Should().Be("0/1 nodes are available: persistentvolumeclaim \"nope\" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.");

        (await server.KubectlAsync(ct, "delete", "pod", "user", "--wait=true")).ExitCode.Should().Be(0);
        (await server.KubectlAsync(ct, "delete", "pvc", "manual", "--wait=true")).ExitCode.Should().Be(0);
        await Eventually.UntilAsync(() => server.KubectlAsync(ct, "get", "pv", "manual-1", "-o", "jsonpath={.status.phase}"), r => r.Stdout == "Released", TimeSpan.FromSeconds(30), ct);
        File.ReadAllText(Path.Combine(hostDirectory, "f")).Should().Be("kept\n", "Retain keeps a released volume's data");
    }

    private static List<string[]> Words(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
}
