using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// Watch resumption and expiry through KubernetesClient, on a server that compacts every 3 seconds
/// (<c>--kube-apiserver-arg=etcd-compaction-interval=3s</c>, kube-apiserver's flag): a watch resumed from a recent
/// resourceVersion gets exactly the changes after it, and once that revision is compacted, a watch from it gets a
/// 410 Expired ERROR event and a list from it a 410, as informers expect before they relist.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class WatchResumeAndExpiryTests : IAsyncLifetime
{
    private readonly K3sServerProcess _server = K3sServerProcess.With("--kube-apiserver-arg=etcd-compaction-interval=3s");

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task ResumedWatch_SeesEveryLaterChange_AndACompactedRevisionIsGone()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.Kubeconfig));
        var first = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default", cancellationToken: ct);
        var resumeFrom = first.Metadata.ResourceVersion;
        var second = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("b"), "default", cancellationToken: ct);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default", cancellationToken: ct);

        // Resume: the changes after the revision, in order, and nothing before it. (The compactor compacts to the
        // revision it saw a tick earlier, so this history lasts at least one 3 s interval after the delete.)
        var resumed = new List<(WatchEventType, string)>();
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            stop.CancelAfter(TimeSpan.FromSeconds(10));
            await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: resumeFrom, cancellationToken: stop.Token))
            {
                resumed.Add((type, item.Metadata.Name));
                if (resumed.Count == 2)
                {
                    break;
                }
            }
        }

        resumed.Should().Equal((WatchEventType.Added, "b"), (WatchEventType.Deleted, "a"));

        // After two compaction ticks the revision is history: the watch ends with 410 Expired, the list is a 410.
        // A watch from a resourceVersion starts at the revision after it, as kube-apiserver's does, so it expires only
        // once the compaction passes that later revision (b's or beyond); a list at exactly b's revision tells when.
        var expired = await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    await client.CoreV1.ListNamespacedConfigMapAsync("default", resourceVersion: second.Metadata.ResourceVersion, resourceVersionMatch: "Exact", cancellationToken: ct);
                    return 200;
                }
                catch (HttpOperationException e)
                {
                    return (int)e.Response.StatusCode;
                }
            },
            code => code == 410,
            TimeSpan.FromSeconds(30),
            ct);
        expired.Should().Be(410, "the compactor runs every 3 s");

        var watchErrors = new List<Exception>();
        var events = new List<WatchEventType>();
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            stop.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await foreach (var (type, _) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: resumeFrom, onError: watchErrors.Add, cancellationToken: stop.Token))
                {
                    events.Add(type);
                }
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or KubernetesException)
            {
                watchErrors.Add(e);
            }
        }

        (events.Contains(WatchEventType.Error) || watchErrors.Any(e => e.Message.Contains("too old resource version", StringComparison.Ordinal)))
            .Should().BeTrue($"a watch from a compacted revision ends with 410 Expired (events: {string.Join(",", events)}; errors: {string.Join(" | ", watchErrors.Select(e => e.Message))})");
        _server.Log.Should().NotContain("could not compact");
    }

    private static V1ConfigMap ConfigMap(string name) => new() { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["v"] = name } };
}
