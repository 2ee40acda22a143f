using System.Diagnostics;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// The kubectl session issue 5 asks for, with kubectl 1.27 and 1.33 against a real <c>k3s server</c>: one
/// multi-document <c>apply -f</c> of a Deployment, Service, ConfigMap, Secret, CustomResourceDefinition and custom
/// resource (which, as on any cluster, needs a second apply once the definition is established), then get in its
/// output formats, get -w, label, annotate, the three patch types, api-resources, explain, auth can-i, schema
/// validation of the custom resource, and delete --wait. Output is compared, not just exit codes.
/// </summary>
public abstract class KubectlWalkthroughSuite(IApiTarget server)
{
    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task MultiDocumentApply_ThenEveryEverydayVerb(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var id = kubectl.Replace(".", string.Empty, StringComparison.Ordinal);
        var ns = "walk-" + id;
        var group = $"v{id}.example.com";
        var crd = $"crontabs.{group}";
        // A fresh discovery cache, so the first apply sees the server as a first-time user's kubectl does.
        var cache = CacheDir(kubectl);
        var manifest = Path.Combine(server.Root.FullName, $"walk-{id}.yaml");
        await File.WriteAllTextAsync(manifest, Manifest(ns, group, id), ct);

        (await Run(kubectl, ct, "create", "namespace", ns)).Stdout.Should().Be($"namespace/{ns} created\n");

        var first = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "apply", "-f", manifest, "--cache-dir", cache);
        first.ExitCode.Should().Be(1, "the custom resource cannot be mapped before its definition exists: " + first.Stdout + first.Stderr);
        first.Stdout.Should().Be(
            $"deployment.apps/web created\nservice/web created\nconfigmap/settings created\nsecret/creds created\ncustomresourcedefinition.apiextensions.k8s.io/{crd} created\n");
        first.Stderr.Should().Contain($"no matches for kind \"CronTab\" in version \"{group}/v1\"").And.Contain("ensure CRDs are installed first");

        (await Run(kubectl, ct, "wait", "--for", "condition=established", "--timeout=30s", "crd/" + crd)).Stdout
            .Should().Be($"customresourcedefinition.apiextensions.k8s.io/{crd} condition met\n");
        (await Run(kubectl, ct, "apply", "-f", manifest)).Stdout.Should().Be(
            $"deployment.apps/web unchanged\nservice/web unchanged\nconfigmap/settings unchanged\nsecret/creds unchanged\ncustomresourcedefinition.apiextensions.k8s.io/{crd} unchanged\ncrontab.{group}/nightly created\n");

        // get: tables with the definition's printer columns, wide, yaml and jsonpath.
        var table = Lines((await Run(kubectl, ct, "get", "ct" + id, "-n", ns)).Stdout);
        table.Should().HaveCount(2, "a header and one row");
        table[0].Should().MatchRegex(@"^NAME\s+SPEC\s+REPLICAS\s+AGE$");
        table[1].Should().MatchRegex(@"^nightly\s+\*/5 \* \* \* \*\s+2\s+\d+s$");
        Lines((await Run(kubectl, ct, "get", "deployment", "web", "-n", ns, "-o", "wide")).Stdout)[0]
            .Should().MatchRegex(@"^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$");
        (await Run(kubectl, ct, "get", "secret", "creds", "-n", ns, "-o", "yaml")).Stdout.Should().Contain("  password: aHVudGVyMg==\n").And.Contain("type: Opaque\n");
        // stringData is write-only: stored base64-encoded in data.
        var token = Path.Combine(server.Root.FullName, $"token-{id}.yaml");
        await File.WriteAllTextAsync(token, $"apiVersion: v1\nkind: Secret\nmetadata: {{name: token, namespace: {ns}}}\nstringData: {{token: s3cr3t}}\n", ct);
        await Run(kubectl, ct, "create", "-f", token);
        (await Run(kubectl, ct, "get", "secret", "token", "-n", ns, "-o", "jsonpath={.data.token} {.stringData}")).Stdout.Should().Be("czNjcjN0 ");
        (await Run(kubectl, ct, "get", "svc", "web", "-n", ns, "-o", "jsonpath={.spec.ports[0].targetPort} {.spec.selector.app}")).Stdout.Should().Be("8080 web");

        // get -w sees an update.
        var watch = WatchAsync(kubectl, ct, "get", "configmap", "settings", "-n", ns, "-w", "-o", "jsonpath={.data.mode}{\"\\n\"}");
        (await Eventually.UntilAsync(() => Task.FromResult(watch.Lines), l => l.Contains("fast"), TimeSpan.FromSeconds(20), ct)).Should().Contain("fast", "kubectl get -w prints the current state first");
        (await Run(kubectl, ct, "patch", "configmap", "settings", "-n", ns, "--type", "merge", "-p", """{"data":{"mode":"slow"}}""")).Stdout.Should().Be("configmap/settings patched\n");
        (await Eventually.UntilAsync(() => Task.FromResult(watch.Lines), l => l.Contains("slow"), TimeSpan.FromSeconds(20), ct)).Should().Equal(["fast", "slow"], "kubectl get -w prints the update");
        watch.Stop();

        // label, annotate and the three patch types.
        (await Run(kubectl, ct, "label", "ct" + id, "nightly", "-n", ns, "tier=batch")).Stdout.Should().Be($"crontab.{group}/nightly labeled\n");
        // kubectl 1.27 prints "annotate" where later versions print "annotated" (a client-side wording slip).
        (await Run(kubectl, ct, "annotate", "deployment", "web", "-n", ns, "owner=team-a")).Stdout.Should().MatchRegex("^deployment.apps/web annotated?\n$");
        (await Run(kubectl, ct, "patch", "deployment", "web", "-n", ns, "-p", """{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}""")).Stdout.Should().Be("deployment.apps/web patched\n");
        (await Run(kubectl, ct, "patch", "deployment", "web", "-n", ns, "--type", "json", "-p", """[{"op":"replace","path":"/spec/replicas","value":3}]""")).Stdout.Should().Be("deployment.apps/web patched\n");
        (await Run(kubectl, ct, "patch", "ct" + id, "nightly", "-n", ns, "--type", "merge", "-p", """{"spec":{"replicas":4}}""")).Stdout.Should().Be($"crontab.{group}/nightly patched\n");
        (await Run(kubectl, ct, "get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[*].image} {.metadata.annotations.owner}")).Stdout.Should().Be("3 nginx:2 team-a");
        (await Run(kubectl, ct, "scale", "deployment", "web", "-n", ns, "--replicas=5")).Stdout.Should().Be("deployment.apps/web scaled\n");
        (await Run(kubectl, ct, "get", "--raw", $"/apis/apps/v1/namespaces/{ns}/deployments/web/scale")).Stdout
            .Should().Contain("\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\"").And.Contain("\"spec\":{\"replicas\":5}").And.Contain("\"selector\":\"app=web\"");
        (await Run(kubectl, ct, "get", "ct" + id, "-n", ns, "-l", "tier=batch", "-o", "jsonpath={.items[*].spec.replicas} {.items[*].metadata.generation}")).Stdout.Should().Be("4 2");

        // Discovery, schemas and authorization as kubectl reads them.
        (await Run(kubectl, ct, "api-resources", "--api-group", group)).Stdout.Should().MatchRegex($@"\ncrontabs\s+ct{id}\s+{group.Replace(".", @"\.", StringComparison.Ordinal)}/v1\s+true\s+CronTab\n");
        var explained = (await Run(kubectl, ct, "explain", "crontab.spec", "--api-version", group + "/v1")).Stdout;
        explained.Should().Contain("cronSpec\t<string> -required-").And.Contain("The schedule, in cron format.").And.Contain("replicas\t<integer>");
        (await Run(kubectl, ct, "explain", "deployment.spec")).Stdout.Should().Contain("replicas\t<integer>").And.Contain("template\t<PodTemplateSpec>");
        (await Run(kubectl, ct, "auth", "can-i", "delete", crd.Split('.')[0] + "." + group, "-n", ns)).Stdout.Should().Be("yes\n");

        // The definition's schema guards its objects, in kube-apiserver's words.
        var bad = Path.Combine(server.Root.FullName, $"bad-{id}.yaml");
        await File.WriteAllTextAsync(bad, $"apiVersion: {group}/v1\nkind: CronTab\nmetadata: {{name: bad, namespace: {ns}}}\nspec: {{cronSpec: nope, replicas: 20, image: 5}}\n", ct);
        var refused = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "apply", "-f", bad, "--cache-dir", cache);
        (refused.ExitCode, refused.Stderr).Should().Be((1,
            "The CronTab \"bad\" is invalid: \n" +
            "* spec.cronSpec: Invalid value: \"nope\": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'\n" +
            "* spec.image: Invalid value: \"integer\": spec.image in body must be of type string: \"integer\"\n" +
            "* spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10\n"));
        await File.WriteAllTextAsync(bad, $"apiVersion: {group}/v1\nkind: CronTab\nmetadata: {{name: odd, namespace: {ns}}}\nspec: {{cronSpec: '* * * * *', colour: red}}\n", ct);
        var unknown = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "create", "-f", bad, "--cache-dir", cache);
        (unknown.ExitCode, unknown.Stderr).Should().Be((1,
            $"Error from server (BadRequest): error when creating \"{bad}\": CronTab in version \"v1\" cannot be handled as a CronTab: strict decoding error: unknown field \"spec.colour\"\n"));

        (await Run(kubectl, ct, "delete", "ct" + id, "nightly", "-n", ns, "--wait")).Stdout.Should().Be($"crontab.{group} \"nightly\" deleted\n");
        (await Run(kubectl, ct, "delete", "-f", manifest, "--wait", "--ignore-not-found")).Stdout.Should().Contain($"customresourcedefinition.apiextensions.k8s.io \"{crd}\" deleted");
        // Each server stops serving the resource when its watch sees the definition go; in the lab the request may
        // reach a server a moment behind the one that deleted it, as with several kube-apiservers.
        var gone = await Eventually.UntilAsync(() => Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "get", "--raw", $"/apis/{group}/v1/crontabs"), r => r.ExitCode != 0, TimeSpan.FromSeconds(10), ct);
        (gone.ExitCode, gone.Stderr).Should().Be((1, "Error from server (NotFound): the server could not find the requested resource\n"));
    }

    private static string Manifest(string ns, string group, string id) => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: {{{ns}}}}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - {name: web, image: nginx:1, ports: [{containerPort: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: {{{ns}}}}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: {{{ns}}}}
        data: {mode: fast}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: creds, namespace: {{{ns}}}}
        data: {password: aHVudGVyMg==}
        ---
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: crontabs.{{{group}}}}
        spec:
          group: {{{group}}}
          scope: Namespaced
          names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct{{{id}}}]}
          versions:
          - name: v1
            served: true
            storage: true
            subresources: {status: {}}
            additionalPrinterColumns:
            - {name: Spec, type: string, jsonPath: .spec.cronSpec}
            - {name: Replicas, type: integer, jsonPath: .spec.replicas}
            - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [cronSpec]
                    properties:
                      cronSpec: {type: string, description: 'The schedule, in cron format.', pattern: '^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'}
                      image: {type: string}
                      replicas: {type: integer, minimum: 1, maximum: 10, default: 1}
                  status:
                    type: object
                    properties:
                      ready: {type: boolean}
        ---
        apiVersion: {{{group}}}/v1
        kind: CronTab
        metadata: {name: nightly, namespace: {{{ns}}}}
        spec: {cronSpec: '*/5 * * * *', image: cron:1, replicas: 2}
        """;

    private string CacheDir(string kubectl) => Path.Combine(server.Root.FullName, "kube-cache-" + kubectl);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private async Task<KubectlResult> Run(string kubectl, CancellationToken ct, params string[] args)
    {
        var result = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, [.. args, "--cache-dir", CacheDir(kubectl)]);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)} failed: {result.Stderr}\nserver log:\n{server.Log}");
        return result;
    }

    private RunningKubectl WatchAsync(string kubectl, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo(Kubectl.PathFor(kubectl)) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add($"--kubeconfig={server.Kubeconfig}");
        start.ArgumentList.Add("--cache-dir=" + CacheDir(kubectl));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new RunningKubectl(Process.Start(start)!, ct);
    }

    /// <summary>A kubectl that keeps running (get -w), its output lines collected as they come.</summary>
    private sealed class RunningKubectl
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];

        public RunningKubectl(Process process, CancellationToken ct)
        {
            _process = process;
            _ = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
                {
                    lock (_lines)
                    {
                        _lines.Add(line.Trim());
                    }
                }
            }, ct);
        }

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public void Stop()
        {
            _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}

/// <summary>The suite against one local <c>k3s server</c> on SQLite.</summary>
[Trait("Category", "Conformance")]
public sealed class KubectlWalkthroughTests(K3sServerProcess server) : KubectlWalkthroughSuite(server), IClassFixture<K3sServerProcess>;

/// <summary>The kubectl walkthrough, unchanged, against a lab cluster of three servers (embedded store) and an agent in Docker, through its load balancer.</summary>
[Trait("Category", "Conformance")]
public sealed class KubectlWalkthroughOnLabTests(K3sLab.ConformanceTests.Lab.LabApiTarget lab) : KubectlWalkthroughSuite(lab), IClassFixture<K3sLab.ConformanceTests.Lab.LabApiTarget>;
