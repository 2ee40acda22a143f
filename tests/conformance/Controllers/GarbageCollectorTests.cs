using k8s;
using k8s.Models;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// The garbage collector and the API server's deletion propagation against a real server, with ConfigMaps owning
/// ConfigMaps (no workload controller involved) and kubectl 1.33's <c>delete --cascade=background|orphan|foreground</c>.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class GarbageCollectorTests(NodeLifecycleServer fixture) : IClassFixture<NodeLifecycleServer>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task CascadeBackground_DeletesTheDependents()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Client();
        var owner = await CreateAsync(client, "bg-owner", null, ct);
        await CreateAsync(client, "bg-dep-1", owner, ct);
        await CreateAsync(client, "bg-dep-2", owner, ct, block: false);

        (await KubectlAsync(ct, "delete", "configmap", "bg-owner", "--cascade=background")).ExitCode.Should().Be(0);

        (await Eventually.UntilAsync(() => NamesAsync(client, "bg-", ct), n => n.Count == 0, Within, ct)).Should().BeEmpty(fixture.Server.Log);
    }

    [Fact]
    public async Task CascadeOrphan_KeepsTheDependentsWithoutTheOwnerReference()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Client();
        var owner = await CreateAsync(client, "or-owner", null, ct);
        await CreateAsync(client, "or-dep-1", owner, ct);
        await CreateAsync(client, "or-dep-2", owner, ct);

        (await KubectlAsync(ct, "delete", "configmap", "or-owner", "--cascade=orphan")).ExitCode.Should().Be(0);

        (await Eventually.UntilAsync(() => NamesAsync(client, "or-", ct), n => !n.Contains("or-owner"), Within, ct)).Should().Equal("or-dep-1", "or-dep-2");
        foreach (var name in new[] { "or-dep-1", "or-dep-2" })
        {
            var dependent = await client.CoreV1.ReadNamespacedConfigMapAsync(name, "default", cancellationToken: ct);
            dependent.Metadata.OwnerReferences.Should().BeNullOrEmpty();
            dependent.Metadata.DeletionTimestamp.Should().BeNull();
        }
    }

    [Fact]
    public async Task CascadeForeground_KeepsTheOwnerUntilItsBlockingDependentsAreGone()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Client();
        var owner = await CreateAsync(client, "fg-owner", null, ct);
        await CreateAsync(client, "fg-held", owner, ct, finalizer: "example.com/hold");
        await CreateAsync(client, "fg-free", owner, ct);

        (await KubectlAsync(ct, "delete", "configmap", "fg-owner", "--cascade=foreground", "--wait=false")).ExitCode.Should().Be(0);

        var held = await Eventually.UntilAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("fg-held", "default", cancellationToken: ct), c => c.Metadata.DeletionTimestamp is not null, Within, ct);
        held.Metadata.DeletionTimestamp.Should().NotBeNull("the collector deletes the dependents first");
        (await Eventually.UntilAsync(() => NamesAsync(client, "fg-", ct), n => !n.Contains("fg-free"), Within, ct)).Should().Equal("fg-held", "fg-owner");
        var waiting = await client.CoreV1.ReadNamespacedConfigMapAsync("fg-owner", "default", cancellationToken: ct);
        waiting.Metadata.DeletionTimestamp.Should().NotBeNull();
        waiting.Metadata.Finalizers.Should().Equal("foregroundDeletion");

        held.Metadata.Finalizers = null;
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(held, "fg-held", "default", cancellationToken: ct);

        (await Eventually.UntilAsync(() => NamesAsync(client, "fg-", ct), n => n.Count == 0, Within, ct)).Should().BeEmpty(fixture.Server.Log);
    }

    [Fact]
    public async Task OwnerOfTheSameNameButAnotherUid_IsGone()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Client();
        await CreateAsync(client, "uid-owner", null, ct);
        var impostor = new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "uid-owner", Uid = Guid.NewGuid().ToString() };
        await CreateAsync(client, "uid-dep", null, ct, references: [impostor]);

        (await Eventually.UntilAsync(() => NamesAsync(client, "uid-", ct), n => !n.Contains("uid-dep"), Within, ct)).Should().Equal("uid-owner");
    }

    [Fact]
    public async Task CyclesAndUnknownOwnerKinds_AreHandledWithoutLoops()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Client();
        var a = await CreateAsync(client, "cy-a", null, ct);
        var b = await CreateAsync(client, "cy-b", a, ct);
        a.Metadata.OwnerReferences = [Reference(b, block: true)];
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(a, "cy-a", "default", cancellationToken: ct);
        var foreign = new V1OwnerReference { ApiVersion = "example.com/v1", Kind = "Widget", Name = "w", Uid = Guid.NewGuid().ToString() };
        await CreateAsync(client, "cy-foreign", null, ct, references: [foreign]);
        await CreateAsync(client, "cy-dangling", null, ct, references: [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "nobody", Uid = Guid.NewGuid().ToString() }]);

        // Once the dangling dependent is collected the foreign one has been looked at too: it stays, as do the live cycle's members.
        (await Eventually.UntilAsync(() => NamesAsync(client, "cy-", ct), n => !n.Contains("cy-dangling"), Within, ct)).Should().Equal("cy-a", "cy-b", "cy-foreign");

        // A foreground delete into the cycle finishes: each waits for the other until the collector unblocks one.
        (await KubectlAsync(ct, "delete", "configmap", "cy-a", "--cascade=foreground", "--wait=false")).ExitCode.Should().Be(0);
        (await Eventually.UntilAsync(() => NamesAsync(client, "cy-", ct), n => n.SequenceEqual(["cy-foreign"]), Within, ct)).Should().Equal(["cy-foreign"], fixture.Server.Log);
        fixture.Server.Log.Split('\n').Count(l => l.Contains("Leaving configmaps.|default/cy-foreign alone", StringComparison.Ordinal)).Should().Be(1, "an unresolvable owner is reported once");
    }

    private Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(fixture.Server.Kubeconfig));

    private Task<KubectlResult> KubectlAsync(CancellationToken ct, params string[] args) => Kubectl.RunAsync("1.33", fixture.Server.Kubeconfig, ct, ["-n", "default", .. args]);

    private static V1OwnerReference Reference(V1ConfigMap owner, bool block) =>
        new() { ApiVersion = "v1", Kind = "ConfigMap", Name = owner.Metadata.Name, Uid = owner.Metadata.Uid, BlockOwnerDeletion = block };

    private static Task<V1ConfigMap> CreateAsync(Kubernetes client, string name, V1ConfigMap? owner, CancellationToken ct, bool block = true, string? finalizer = null, IList<V1OwnerReference>? references = null) =>
        client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                OwnerReferences = references ?? (owner is null ? null : [Reference(owner, block)]),
                Finalizers = finalizer is null ? null : [finalizer],
            },
        }, "default", cancellationToken: ct);

    private static async Task<List<string>> NamesAsync(Kubernetes client, string prefix, CancellationToken ct) =>
        [.. (await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: ct)).Items.Select(c => c.Metadata.Name).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
}
