using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// What kubectl does with the server's OpenAPI (v2 protobuf for kubectl 1.27, v3 for 1.33): it finds that the server
/// validates fields itself, so <c>kubectl apply</c> works without <c>--validate=false</c>; <c>--validate=strict</c>
/// (the default) turns unknown fields into kube-apiserver's 400, <c>--validate=warn</c> into warnings with the
/// fields dropped; and <c>kubectl explain</c> walks the schemas.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class OpenApiAndFieldValidationTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task UnknownFields_AreRefusedByDefault_WarnedAndDroppedOnRequest(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "fv-" + kubectl.Replace('.', '-');
        var file = Path.Combine(server.Root.FullName, name + ".yaml");
        await File.WriteAllTextAsync(file, $$$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: {{{name}}}, namespace: default}
            spec:
              replicas: 1
              selector: {matchLabels: {app: {{{name}}}}}
              template:
                metadata: {labels: {app: {{{name}}}}}
                spec:
                  containers:
                  - {name: app, image: busybox, imagePullPolicyy: Always}
              bogus: true
            """, ct);

        var strict = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "apply", "-f", file);
        strict.ExitCode.Should().Be(1);
        strict.Stderr.Trim().Should().Be($"Error from server (BadRequest): error when creating \"{file}\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.bogus\", unknown field \"spec.template.spec.containers[0].imagePullPolicyy\"");

        var warned = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "apply", "--validate=warn", "-f", file);
        warned.ExitCode.Should().Be(0, warned.Stderr + server.Log);
        warned.Stderr.Should().Contain("Warning: unknown field \"spec.bogus\"").And.Contain("Warning: unknown field \"spec.template.spec.containers[0].imagePullPolicyy\"");
        // The spec lost both; only kubectl's last-applied annotation still quotes the file as written.
        var stored = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "get", "deployment", name, "-o", "jsonpath={.spec}");
        stored.Stdout.Should().Contain("\"replicas\":1").And.NotContain("bogus").And.NotContain("imagePullPolicyy");
    }

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task Explain_WalksTheSchemas(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;

        var explained = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "explain", "deployment.spec.template.spec.containers.ports");
        explained.ExitCode.Should().Be(0, explained.Stderr);
        var lines = explained.Stdout.Split('\n').Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))).ToList();
        lines.Should().Contain("KIND: Deployment").And.Contain("VERSION: v1");
        lines.Should().Contain(l => l.StartsWith("containerPort <integer>", StringComparison.Ordinal));
        lines.Should().Contain(l => l.StartsWith("protocol <string>", StringComparison.Ordinal));

        var unknown = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "explain", "deployment.spec.nothing");
        unknown.ExitCode.Should().Be(1);
        unknown.Stderr.Should().Contain("nothing");
    }
}
