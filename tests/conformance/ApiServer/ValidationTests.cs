using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// Mistakes users make, answered as kube-apiserver 1.33 answers them: a 422 <c>Invalid</c> status whose causes carry
/// field paths, which kubectl 1.27 and 1.33 print as "The Deployment "x" is invalid: ..." (one cause on the line,
/// several as a list), for creates (<c>kubectl create</c>, <c>apply</c>) and updates (<c>apply</c> patches,
/// <c>replace</c>), and which KubernetesClient decodes as <c>V1Status</c> causes.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ValidationTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    private const string LabelValueRule = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task Kubectl_TypicalMistakes_PrintKubeApiserversCauses(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var suffix = kubectl.Replace('.', '-');

        var mismatch = await Refused(kubectl, "create", $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web-{{suffix}}
            spec:
              selector:
                matchLabels:
                  app: a
              template:
                metadata:
                  labels:
                    app: b
                spec:
                  containers:
                  - name: web
                    image: nginx:1.27
            """, ct);
        mismatch.Should().Be($"The Deployment \"web-{suffix}\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{{\"app\":\"b\"}}: `selector` does not match template `labels`\n");

        var noImage = await Refused(kubectl, "apply", $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: noimage-{{suffix}}}
            spec:
              containers:
              - name: app
            """, ct);
        noImage.Should().Be($"The Pod \"noimage-{suffix}\" is invalid: spec.containers[0].image: Required value\n");

        var bigPort = await Refused(kubectl, "create", $$"""
            apiVersion: v1
            kind: Service
            metadata: {name: big-{{suffix}}}
            spec:
              selector: {app: web}
              ports:
              - port: 70000
            """, ct);
        bigPort.Should().Be(
            $"The Service \"big-{suffix}\" is invalid: \n"
            + "* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n"
            + "* spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive\n");

        var badLabel = await Refused(kubectl, "apply", $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings-{{suffix}}
              labels: {team: "platform team"}
            data: {mode: fast}
            """, ct);
        badLabel.Should().Be($"The ConfigMap \"settings-{suffix}\" is invalid: metadata.labels: Invalid value: \"platform team\": {LabelValueRule}\n");
    }

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task Kubectl_ChangingASelector_IsImmutableOnApplyAndReplace(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "immutable-" + kubectl.Replace('.', '-');
        string Deployment(string app) => $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{name}}
            spec:
              selector:
                matchLabels:
                  app: {{app}}
              template:
                metadata:
                  labels:
                    app: {{app}}
                spec:
                  containers:
                  - name: web
                    image: nginx:1.27
            """;
        var file = await Write(name, Deployment("a"), ct);
        var created = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "apply", "-f", file);
        created.ExitCode.Should().Be(0, created.Stderr + server.Log);

        var expected = $"The Deployment \"{name}\" is invalid: spec.selector: Invalid value: v1.LabelSelector{{MatchLabels:map[string]string{{\"app\":\"b\"}}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: field is immutable\n";
        (await Refused(kubectl, "apply", Deployment("b"), ct)).Should().Be(expected);
        (await Refused(kubectl, "replace", Deployment("b"), ct)).Should().Be(expected);

        var scaled = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "patch", "deployment", name, "-p", """{"spec":{"replicas":-1}}""");
        (scaled.ExitCode, scaled.Stderr).Should().Be((1, $"The Deployment \"{name}\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"));
    }

    [Fact]
    public async Task KubernetesClient_InvalidPod_Is422WithCausesAndNothingIsStored()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "broken" },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "Web", Ports = [new V1ContainerPort { ContainerPort = 70000, Protocol = "HTTP" }] }],
                RestartPolicy = "Sometimes",
            },
        };

        var create = () => client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: ct);

        var status = await StatusOf(create);
        (status.Code, status.Reason, status.Details.Kind, status.Details.Name).Should().Be((422, "Invalid", "Pod", "broken"));
        status.Details.Group.Should().BeNull("pods are in the core group");
        status.Details.Causes.Select(c => (c.Reason, c.Field, c.Message)).Should().Equal(
            ("FieldValueInvalid", "spec.containers[0].name", "Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
            ("FieldValueRequired", "spec.containers[0].image", "Required value"),
            ("FieldValueInvalid", "spec.containers[0].ports[0].containerPort", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
            ("FieldValueNotSupported", "spec.containers[0].ports[0].protocol", "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
            ("FieldValueNotSupported", "spec.restartPolicy", "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""));
        status.Message.Should().StartWith("Pod \"broken\" is invalid: [spec.containers[0].name: Invalid value: \"Web\": ").And.EndWith(", spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"]");
        (await client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: ct)).Items.Should().NotContain(p => p.Metadata.Name == "broken");
    }

    [Fact]
    public async Task KubernetesClient_DeploymentUpdates_AreValidatedAgainstTheStoredObject()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        var labels = new Dictionary<string, string> { ["app"] = "api" };
        var deployment = await client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "api" },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = labels }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "api", Image = "nginx:1.27" }] } },
            },
        }, "default", cancellationToken: ct);

        deployment.Spec.Template.Spec.RestartPolicy = "Never";
        deployment.Spec.Template.Spec.Containers[0].Resources = new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") },
            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m") },
        };
        var replace = () => client.AppsV1.ReplaceNamespacedDeploymentAsync(deployment, "api", "default", cancellationToken: ct);

        var status = await StatusOf(replace);
        (status.Code, status.Details.Group, status.Details.Kind).Should().Be((422, "apps", "Deployment"));
        status.Message.Should().Be("Deployment.apps \"api\" is invalid: [spec.template.spec.containers[0].resources.requests: Invalid value: \"1\": must be less than or equal to cpu limit of 500m, spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"]");
        status.Details.Causes.Select(c => c.Reason).Should().Equal("FieldValueInvalid", "FieldValueNotSupported");
        (await client.AppsV1.ReadNamespacedDeploymentAsync("api", "default", cancellationToken: ct)).Spec.Template.Spec.RestartPolicy.Should().Be("Always", "the refused update changed nothing");
    }

    /// <summary>Runs kubectl on a manifest that must be refused and returns what it printed on stderr.</summary>
    private async Task<string> Refused(string kubectl, string verb, string manifest, CancellationToken ct)
    {
        var file = await Write($"{verb}-{Guid.NewGuid():N}", manifest, ct);
        var result = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, verb, "-f", file);
        result.ExitCode.Should().Be(1, $"kubectl {verb} should have been refused: {result.Stdout}{result.Stderr}");
        return result.Stderr;
    }

    private async Task<string> Write(string name, string manifest, CancellationToken ct)
    {
        var file = Path.Combine(server.Root.FullName, name + ".yaml");
        await File.WriteAllTextAsync(file, manifest, ct);
        return file;
    }

    private static async Task<V1Status> StatusOf(Func<Task> call)
    {
        var refused = (await call.Should().ThrowAsync<HttpOperationException>()).Which;
        refused.Response.StatusCode.Should().Be((System.Net.HttpStatusCode)422);
        return KubernetesJson.Deserialize<V1Status>(refused.Response.Content);
    }
}
