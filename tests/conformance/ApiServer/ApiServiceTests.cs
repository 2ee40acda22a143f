using System.Text.RegularExpressions;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// APIServices as kubectl 1.27 and 1.33 show them: one local APIService per group version the server serves (the
/// core group as <c>v1.</c>, metrics.k8s.io included, the aggregator's own group not), a CustomResourceDefinition's
/// versions registered while it exists, and an APIService that names a service reported unavailable with kube's
/// reasons, since this server does not proxy to aggregated API servers. Invalid ones get kube-aggregator's messages,
/// and <c>kubectl explain</c> knows the kind.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ApiServiceTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(45);

    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task GetApiServices_ListsEveryServedGroupVersion_AsLocalAndAvailable(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var listed = await Eventually.UntilAsync(() => Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "get", "apiservices", "--no-headers"), r => r.Stdout.Contains("v2.autoscaling"), Within, ct);
        var rows = listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Collapse).ToList();

        rows.Should().Contain(row => Regex.IsMatch(row, @"^v1\. Local True \S+$"), "the core group is v1. with an empty group");
        foreach (var name in new[] { "v1.apps", "v2.autoscaling", "v1.autoscaling", "v1.certificates.k8s.io", "v1.rbac.authorization.k8s.io", "v1beta1.metrics.k8s.io" })
        {
            rows.Should().Contain(row => row.StartsWith(name + " Local True ", StringComparison.Ordinal), name);
        }

        rows.Should().NotContain(row => row.Contains("apiregistration.k8s.io", StringComparison.Ordinal), "kube-apiserver registers no APIService for the aggregator's own group");
        var explained = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "explain", "apiservice.spec.groupPriorityMinimum");
        explained.ExitCode.Should().Be(0, explained.Stderr);
        explained.Stdout.Should().Contain("FIELD: groupPriorityMinimum <integer>");
    }

    [Fact]
    public async Task CustomResourceVersions_RegisteredWhileServed_AndServiceBackedOnesReportedUnavailable()
    {
        var ct = TestContext.Current.CancellationToken;
        await ApplyAsync("""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: gadgets.aggregation.example.com}
            spec:
              group: aggregation.example.com
              scope: Namespaced
              names: {plural: gadgets, singular: gadget, kind: Gadget}
              versions:
              - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
              - {name: v1beta1, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
            """, ct);
        var registered = await Eventually.UntilAsync(() => Admin(ct, "get", "apiservice", "v1beta1.aggregation.example.com", "-o", "jsonpath={.spec.groupPriorityMinimum}/{.spec.versionPriority}/{.metadata.labels.kube-aggregator\\.kubernetes\\.io/automanaged}"), r => r.ExitCode == 0, Within, ct);
        registered.Stdout.Should().Be("1000/100/true");
        (await Admin(ct, "delete", "crd", "gadgets.aggregation.example.com")).ExitCode.Should().Be(0);
        await Eventually.UntilAsync(() => Admin(ct, "get", "apiservices", "--no-headers"), r => r.ExitCode == 0 && !r.Stdout.Contains("aggregation.example.com"), Within, ct);

        await ApplyAsync("""
            apiVersion: apiregistration.k8s.io/v1
            kind: APIService
            metadata: {name: v1beta1.custom.metrics.k8s.io}
            spec:
              group: custom.metrics.k8s.io
              version: v1beta1
              groupPriorityMinimum: 100
              versionPriority: 100
              insecureSkipTLSVerify: true
              service: {name: adapter, namespace: default}
            """, ct);
        var missing = await Eventually.UntilAsync(() => Admin(ct, "get", "apiservice", "v1beta1.custom.metrics.k8s.io", "--no-headers"), r => r.Stdout.Contains("False"), Within, ct);
        Collapse(missing.Stdout).Should().MatchRegex(@"^v1beta1\.custom\.metrics\.k8s\.io default/adapter False \(ServiceNotFound\) [0-9]+s$");
        (await Admin(ct, "create", "service", "clusterip", "adapter", "--tcp=443:6443")).ExitCode.Should().Be(0);
        var present = await Eventually.UntilAsync(() => Admin(ct, "get", "apiservice", "v1beta1.custom.metrics.k8s.io", "-o", "jsonpath={.status.conditions[0].reason}: {.status.conditions[0].message}"), r => r.Stdout.StartsWith("FailedDiscoveryCheck", StringComparison.Ordinal), Within, ct);
        present.Stdout.Should().Contain("does not proxy to aggregated API servers");

        var invalid = await ApplyAsync("""
            apiVersion: apiregistration.k8s.io/v1
            kind: APIService
            metadata: {name: v1.wrong.example.com}
            spec: {group: right.example.com, version: v1, groupPriorityMinimum: 0, versionPriority: 10}
            """, ct, expectRefusal: true);
        invalid.Stderr.Should().Contain("metadata.name: Invalid value: \"v1.wrong.example.com\": must be `spec.version+\".\"+spec.group`: \"v1.right.example.com\"");
        invalid.Stderr.Should().Contain("spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000");
    }

    private Task<KubectlResult> Admin(CancellationToken ct, params string[] args) => Kubectl.RunAsync("1.33", server.Kubeconfig, ct, args);

    private async Task<KubectlResult> ApplyAsync(string yaml, CancellationToken ct, bool expectRefusal = false)
    {
        var file = Path.Combine(server.Root.FullName, $"apiservice-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml, ct);
        var result = await Admin(ct, "apply", "-f", file);
        (result.ExitCode != 0).Should().Be(expectRefusal, result.Stderr);
        return result;
    }

    private static string Collapse(string row) => Regex.Replace(row.Trim(), @"\s+", " ");
}
