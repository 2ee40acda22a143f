using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Kubelet;

/// <summary>
/// Volumes appear at their mount paths in the container's own mount namespace: a configMap and a secret as files
/// (read through the node authorizer), a downwardAPI file, and an emptyDir shared by an init container and the
/// main container; a configMap that does not exist keeps the pod in ContainerCreating with the kubelet's message.
/// Environment variables come from config maps and secrets (a missing one holds the container in
/// CreateContainerConfigError until it exists) and from the container's resources.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class KubeletVolumeTests(KubeletServer kubelet) : IClassFixture<KubeletServer>
{
    [Fact]
    public async Task Volumes_ConfigMapSecretDownwardApiAndEmptyDir_AreMountedWhereAsked()
    {
        var ct = TestContext.Current.CancellationToken;
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: app-config, namespace: default}
            data: {greeting: hello-from-configmap}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: app-secret, namespace: default}
            stringData: {password: s3cr3t}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: volumes, namespace: default, labels: {app: vol} }
            spec:
              nodeName: {{KubeletServer.NodeName}}
              restartPolicy: Never
              volumes:
              - {name: config, configMap: {name: app-config} }
              - {name: secret, secret: {secretName: app-secret} }
              - name: info
                downwardAPI:
                  items:
                  - {path: name, fieldRef: {fieldPath: metadata.name} }
              - {name: scratch, emptyDir: {} }
              initContainers:
              - name: fill
                image: busybox
                command: [sh, -c, 'echo from-init > /k3slab-test/scratch/note']
                volumeMounts: [{name: scratch, mountPath: /k3slab-test/scratch}]
              containers:
              - name: app
                image: busybox
                command: [sh, -c, 'for f in /k3slab-test/config/greeting /k3slab-test/secret/password /k3slab-test/info/name /k3slab-test/scratch/note /k3slab-test/greeting.txt; do cat $f; echo; done; touch /k3slab-test/config/x || echo read-only']
                volumeMounts:
                - {name: config, mountPath: /k3slab-test/config, readOnly: true}
                - {name: secret, mountPath: /k3slab-test/secret, readOnly: true}
                - {name: info, mountPath: /k3slab-test/info}
                - {name: scratch, mountPath: /k3slab-test/scratch}
                - {name: config, mountPath: /k3slab-test/greeting.txt, subPath: greeting}
            """, ct);

        var pod = await kubelet.PodUntilAsync("volumes", p => KubeletServer.At(p, "status", "phase") is "Succeeded" or "Failed", TimeSpan.FromSeconds(60), ct);
        KubeletServer.At(pod, "status", "phase").Should().Be("Succeeded", $"{pod}\n{kubelet.Server.Log}");
        var uid = KubeletServer.At(pod, "metadata", "uid");
        var log = File.ReadAllText(kubelet.Server.ContainerLog("default", "volumes", uid!, "app"));
        log.Should().ContainAll("F hello-from-configmap\n", "F s3cr3t\n", "F volumes\n", "F from-init\n", "F read-only\n");
        log.Split("F hello-from-configmap\n").Should().HaveCount(3, "the key is read once through the volume and once through its subPath mount, a link resolved at start");
        (Directory.Exists("/k3slab-test/config") && Directory.EnumerateFileSystemEntries("/k3slab-test/config").Any())
            .Should().BeFalse("the volume was mounted in the container's own mount namespace, not the node's");
        await kubelet.KubectlAsync(ct, "delete", "pod", "volumes", "--timeout=60s");
        var podDirectory = Path.Combine(kubelet.Server.DataDir, "agent", "pods", uid!);
        (await Eventually.UntilAsync(() => Task.FromResult(Directory.Exists(podDirectory)), exists => !exists, TimeSpan.FromSeconds(10), ct))
            .Should().BeFalse("the pod's volume directories go with it");
        Directory.Delete("/k3slab-test", recursive: true);
    }

    [Fact]
    public async Task Volume_ConfigMapMissing_KeepsThePodContainerCreatingWithTheReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: missing-config, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              volumes: [{name: config, configMap: {name: not-there} }]
              containers:
              - {name: app, image: busybox, command: [sleep, '3600'], volumeMounts: [{name: config, mountPath: /k3slab-test/missing}]}
            """, ct);

        var pod = await kubelet.PodUntilAsync("missing-config", p => KubeletServer.At(KubeletServer.Container(p), "state", "waiting", "message")?.Contains("not found", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(60), ct);
        KubeletServer.At(KubeletServer.Container(pod), "state", "waiting", "reason").Should().Be("ContainerCreating", kubelet.Server.Log);
        KubeletServer.At(KubeletServer.Container(pod), "state", "waiting", "message").Should().Be("MountVolume.SetUp failed for volume \"config\" : configmap \"not-there\" not found");
        await kubelet.KubectlAsync(ct, "delete", "pod", "missing-config", "--timeout=60s");
    }

    [Fact]
    public async Task ConfigMapVolume_EditedWhileThePodRuns_ReachesTheContainer_AndARemovedKeyDisappears()
    {
        var ct = TestContext.Current.CancellationToken;
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: live-config, namespace: default}
            data: {mode: fast, level: debug}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: live-volume, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              terminationGracePeriodSeconds: 1
              volumes:
              - {name: config, configMap: {name: live-config} }
              containers:
              - name: app
                image: busybox
                command: [sleep, '3600']
                volumeMounts: [{name: config, mountPath: /k3slab-test/live, readOnly: true}]
            """, ct);
        await kubelet.PodUntilAsync("live-volume", p => KubeletServer.At(p, "status", "phase") == "Running", TimeSpan.FromSeconds(60), ct);
        // Read as an application that wants one version does: through the folder ..data points at, so the listing and
        // the value come from the same version (the kubelet's atomic writer swaps that link, never single files).
        // A read whose folder is deleted under it by a swap (the kubelet rewrites every 2 s here) prints "torn read"
        // instead of failing the exec, and the read is made again.
        Task<string> ReadAsync() => kubelet.KubectlAsync(ct, "exec", "live-volume", "--", "sh", "-c", "cd /k3slab-test/live/$(readlink /k3slab-test/live/..data) && ls && cat mode || echo torn read");
        (await ReadAsync()).Should().Be("level\nmode\nfast", kubelet.Server.Log);
        (await kubelet.KubectlAsync(ct, "exec", "live-volume", "--", "readlink", "/k3slab-test/live/mode")).Trim().Should().Be("..data/mode", "each key is a link through ..data");

        // The fixture's kubelet writes volumes every 2 s (--kubelet-arg sync-frequency=2s; the default is a minute).
        await kubelet.KubectlAsync(ct, "patch", "configmap", "live-config", "--type=merge", "-p", """{"data":{"mode":"slow","level":null}}""");
        // A key never removed still fails the assertion below with what was last seen.
        var edited = await Eventually.UntilAsync(ReadAsync, r => r == "mode\nslow", TimeSpan.FromSeconds(20), ct);
        edited.Should().Be("mode\nslow", "the new value is there and the removed key's file is gone");
        await kubelet.KubectlAsync(ct, "delete", "pod", "live-volume", "--timeout=60s");
    }

    [Fact]
    public async Task Env_FromConfigMapsSecretsAndResources_WaitsForAMissingSourceThenStarts()
    {
        var ct = TestContext.Current.CancellationToken;
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: env-sources, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              restartPolicy: Never
              containers:
              - name: app
                image: busybox
                command: [sh, -c, 'echo "mode=$MODE password=$DB_PASSWORD url=$URL cpu=$CPU_MILLIS mem=$MEM_MI level=$LEVEL absent=${ABSENT-unset}"']
                resources: {limits: {cpu: 250m, memory: 64Mi} }
                envFrom:
                - {prefix: DB_, secretRef: {name: late-secret} }
                - {configMapRef: {name: never-made, optional: true} }
                env:
                - {name: MODE, valueFrom: {configMapKeyRef: {name: late-config, key: mode} } }
                - {name: LEVEL, valueFrom: {configMapKeyRef: {name: late-config, key: level} } }
                - {name: URL, value: 'db://$(DB_PASSWORD)@host/$(MODE)'}
                - {name: CPU_MILLIS, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m} } }
                - {name: MEM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi} } }
                - {name: ABSENT, valueFrom: {secretKeyRef: {name: late-secret, key: nope, optional: true} } }
            """, ct);

        var waiting = await kubelet.PodUntilAsync("env-sources", p => KubeletServer.At(KubeletServer.Container(p), "state", "waiting", "reason") == "CreateContainerConfigError", TimeSpan.FromSeconds(60), ct);
        KubeletServer.At(KubeletServer.Container(waiting), "state", "waiting", "message").Should().Be("secret \"late-secret\" not found", kubelet.Server.Log);

        await kubelet.ApplyAsync("""
            apiVersion: v1
            kind: Secret
            metadata: {name: late-secret, namespace: default}
            stringData: {PASSWORD: s3cret}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: late-config, namespace: default}
            data: {mode: fast}
            """, ct);
        var missingKey = await kubelet.PodUntilAsync("env-sources", p => KubeletServer.At(KubeletServer.Container(p), "state", "waiting", "message")?.StartsWith("couldn't", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(60), ct);
        KubeletServer.At(KubeletServer.Container(missingKey), "state", "waiting", "message").Should().Be("couldn't find key level in ConfigMap default/late-config");

        await kubelet.KubectlAsync(ct, "patch", "configmap", "late-config", "--type=merge", "-p", """{"data":{"level":"debug"}}""");
        var pod = await kubelet.PodUntilAsync("env-sources", p => KubeletServer.At(p, "status", "phase") is "Succeeded" or "Failed", TimeSpan.FromSeconds(60), ct);
        KubeletServer.At(pod, "status", "phase").Should().Be("Succeeded", $"{pod}\n{kubelet.Server.Log}");
        var uid = KubeletServer.At(pod, "metadata", "uid");
        var log = File.ReadAllText(kubelet.Server.ContainerLog("default", "env-sources", uid!, "app"));
        log.Should().Contain("F mode=fast password=s3cret url=db://s3cret@host/fast cpu=250 mem=64 level=debug absent=unset\n");

        // Each wait was a Warning Failed event with the kubelet's "Error: ..." message, then the run was Created and Started.
        var events = await kubelet.EventsUntilAsync("env-sources", e => KubeletServer.Event(e, "Started") is not null, TimeSpan.FromSeconds(15), ct);
        events.Where(e => KubeletServer.At(e, "reason") == "Failed").Select(e => $"{KubeletServer.At(e, "type")} {KubeletServer.At(e, "message")}")
            .Should().BeEquivalentTo("Warning Error: secret \"late-secret\" not found", "Warning Error: couldn't find key level in ConfigMap default/late-config");
        KubeletServer.At(KubeletServer.Event(events, "Created"), "message").Should().Be("Created container: app");
        await kubelet.KubectlAsync(ct, "delete", "pod", "env-sources", "--timeout=60s");
    }
}
