using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// Stored resources on a real <c>k3s server</c> (SQLite datastore), driven by real clients: kubectl 1.27 and 1.33
/// (create -f, get, label, selectors, delete) and KubernetesClient (optimistic concurrency, paging, watch, namespace
/// deletion).
/// </summary>
public abstract class StoredResourcesSuite(IApiTarget server)
{
    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task Kubectl_CreateGetLabelSelectDelete_ConfigMap(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "cm-" + kubectl.Replace('.', '-');
        var file = Path.Combine(server.Root.FullName, name + ".yaml");
        await File.WriteAllTextAsync(file, $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels: {{app: demo}}\ndata:\n  a: b\n", ct);

        (await Run(kubectl, ct, "create", "-f", file)).Stdout.Should().Be($"configmap/{name} created\n");
        var json = JsonDocument.Parse((await Run(kubectl, ct, "get", "configmap", name, "-o", "json")).Stdout).RootElement;
        json.GetProperty("data").GetProperty("a").GetString().Should().Be("b");
        json.GetProperty("metadata").GetProperty("uid").GetString().Should().NotBeNullOrEmpty();
        long.Parse(json.GetProperty("metadata").GetProperty("resourceVersion").GetString()!, System.Globalization.CultureInfo.InvariantCulture).Should().BePositive();

        (await Run(kubectl, ct, "label", "configmap", name, "tier=" + name)).Stdout.Should().Be($"configmap/{name} labeled\n");
        (await Run(kubectl, ct, "get", "configmaps", "-l", "tier=" + name, "-o", "name")).Stdout.Should().Be($"configmap/{name}\n");
        (await Run(kubectl, ct, "get", "configmaps", "-l", "tier notin (" + name + ")", "-o", "name")).Stdout.Should().NotContain(name);

        (await Run(kubectl, ct, "delete", "configmap", name)).Stdout.Should().Be($"configmap \"{name}\" deleted\n");
        var gone = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "get", "configmap", name);
        (gone.ExitCode, gone.Stderr).Should().Be((1, $"Error from server (NotFound): configmaps \"{name}\" not found\n"));
    }

    [Fact]
    public async Task KubernetesClient_StaleUpdate_IsConflictAndFreshUpdateWins()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Client();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("occ"), "default", cancellationToken: ct);
        created.Data["v"] = "1";
        var first = await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "occ", "default", cancellationToken: ct);

        created.Data["v"] = "stale";
        var stale = () => client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "occ", "default", cancellationToken: ct);
        var conflict = (await stale.Should().ThrowAsync<HttpOperationException>()).Which;
        conflict.Response.StatusCode.Should().Be(System.Net.HttpStatusCode.Conflict);
        conflict.Response.Content.Should().Contain("\"reason\":\"Conflict\"");

        first.Data["v"] = "2";
        (await client.CoreV1.ReplaceNamespacedConfigMapAsync(first, "occ", "default", cancellationToken: ct)).Data["v"].Should().Be("2");
        var duplicate = () => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("occ"), "default", cancellationToken: ct);
        (await duplicate.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(System.Net.HttpStatusCode.Conflict);

        // A uid in the body is a precondition: an update meant for an older incarnation of the object is refused.
        var current = await client.CoreV1.ReadNamespacedConfigMapAsync("occ", "default", cancellationToken: ct);
        var storedUid = current.Metadata.Uid;
        current.Metadata.Uid = "00000000-0000-0000-0000-000000000000";
        current.Metadata.ResourceVersion = null;
        var otherIncarnation = () => client.CoreV1.ReplaceNamespacedConfigMapAsync(current, "occ", "default", cancellationToken: ct);
        var refused = (await otherIncarnation.Should().ThrowAsync<HttpOperationException>()).Which.Response;
        refused.StatusCode.Should().Be(System.Net.HttpStatusCode.Conflict);
        JsonDocument.Parse(refused.Content).RootElement.GetProperty("message").GetString().Should().Be(
            $"Operation cannot be fulfilled on configmaps \"occ\": Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: {storedUid}");
    }

    [Fact]
    public async Task KubernetesClient_PagedListAndWatch_SeeEveryChangeInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Client();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "paged" } }, cancellationToken: ct);
        for (var i = 0; i < 7; i++)
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap($"p{i}"), "paged", cancellationToken: ct);
        }

        var names = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var page = await client.CoreV1.ListNamespacedConfigMapAsync("paged", limit: 3, continueParameter: next, cancellationToken: ct);
            names.AddRange(page.Items.Select(c => c.Metadata.Name).Where(IsOurs));
            next = page.Metadata.ContinueProperty;
            pages++;
        }
        while (next is not null);
        (names, pages).Should().BeEquivalentTo((Enumerable.Range(0, 7).Select(i => $"p{i}").ToList(), 3), "7 config maps (8 with kube-root-ca.crt) come in 3 pages of at most 3");

        var list = await client.CoreV1.ListNamespacedConfigMapAsync("paged", cancellationToken: ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(TimeSpan.FromSeconds(20));
        var seen = new List<(WatchEventType, string)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync("paged", resourceVersion: list.Metadata.ResourceVersion, cancellationToken: stop.Token))
            {
                seen.Add((type, item.Metadata.Name));
                if (seen.Count == 3)
                {
                    return;
                }
            }
        }, ct);

        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("w"), "paged", cancellationToken: ct);
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"v\":\"x\"}}", V1Patch.PatchType.MergePatch), "w", "paged", cancellationToken: ct);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("w", "paged", cancellationToken: ct);
        await watching;
        seen.Should().Equal((WatchEventType.Added, "w"), (WatchEventType.Modified, "w"), (WatchEventType.Deleted, "w"));

        await client.CoreV1.DeleteNamespaceAsync("paged", cancellationToken: ct);
        (await client.CoreV1.ListConfigMapForAllNamespacesAsync(cancellationToken: ct)).Items.Should().NotContain(c => c.Metadata.NamespaceProperty == "paged");
        var missing = () => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("late"), "paged", cancellationToken: ct);
        var notFound = (await missing.Should().ThrowAsync<HttpOperationException>()).Which.Response;
        JsonDocument.Parse(notFound.Content).RootElement.GetProperty("message").GetString().Should().Be("namespaces \"paged\" not found");
    }

    [Fact]
    public async Task SystemNamespaces_MayNotBeDeleted_AndCollectionDeletesKeepFinalizers()
    {
        var ct = TestContext.Current.CancellationToken;
        var kubectl = Kubectl.SupportedVersions[^1];
        foreach (var ns in new[] { "default", "kube-system", "kube-public" })
        {
            var refused = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "delete", "namespace", ns);
            (refused.ExitCode, refused.Stderr).Should().Be((1, $"Error from server (Forbidden): namespaces \"{ns}\" is forbidden: this namespace may not be deleted\n"));
        }

        // No DELETE route on the namespaces collection, as in kube-apiserver (discovery lists no deletecollection).
        var collection = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "delete", "--raw", "/api/v1/namespaces");
        (collection.ExitCode, collection.Stderr).Should().Be((1, "Error from server (MethodNotAllowed): deletecollection is not supported on resources of kind \"namespaces\"\n"));
        (await Run(kubectl, ct, "get", "namespace", "default", "-o", "name")).Stdout.Should().Be("namespace/default\n");

        var client = Client();
        await Run(kubectl, ct, "create", "namespace", "sweep");
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("plain"), "sweep", cancellationToken: ct);
        var held = ConfigMap("held");
        held.Metadata.Finalizers = ["example.com/hold"];
        await client.CoreV1.CreateNamespacedConfigMapAsync(held, "sweep", cancellationToken: ct);

        // A collection DELETE (client-go's DeleteCollection; kubectl deletes one by one) treats each object as a DELETE would.
        var deleted = await client.CoreV1.DeleteCollectionNamespacedConfigMapAsync("sweep", cancellationToken: ct);
        deleted.Kind.Should().Be("ConfigMapList", "kube-apiserver answers a collection DELETE with the list of what it deleted");
        var left = (await client.CoreV1.ListNamespacedConfigMapAsync("sweep", cancellationToken: ct)).Items.Where(c => IsOurs(c.Metadata.Name));
        left.Should().ContainSingle().Which.Metadata.DeletionTimestamp.Should().NotBeNull("a finalizer holds the object, marked for deletion");
    }

    /// <summary>
    /// Whether a config map is one the test made: a server with controllers (the lab) also has the
    /// <c>kube-root-ca.crt</c> its root CA publisher keeps in every namespace, as any kube cluster does, and puts back
    /// after a collection delete.
    /// </summary>
    private static bool IsOurs(string name) => name != "kube-root-ca.crt";

    private Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));

    private static V1ConfigMap ConfigMap(string name) => new() { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["v"] = "0" } };

    private async Task<KubectlResult> Run(string kubectl, CancellationToken ct, params string[] args)
    {
        var result = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, args);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)} failed: {result.Stderr}\nserver log:\n{server.Log}");
        return result;
    }
}

/// <summary>The suite against one local <c>k3s server</c> on SQLite.</summary>
[Trait("Category", "Conformance")]
public sealed class StoredResourcesTests(K3sServerProcess server) : StoredResourcesSuite(server), IClassFixture<K3sServerProcess>;

/// <summary>Stored resources, unchanged, against a lab cluster of three servers (embedded store) and an agent in Docker, through its load balancer.</summary>
[Trait("Category", "Conformance")]
public sealed class StoredResourcesOnLabTests(K3sLab.ConformanceTests.Lab.LabApiTarget lab) : StoredResourcesSuite(lab), IClassFixture<K3sLab.ConformanceTests.Lab.LabApiTarget>;
