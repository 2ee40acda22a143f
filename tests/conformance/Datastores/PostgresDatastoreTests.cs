using System.Globalization;
using k8s;
using k8s.Models;
using K3sLab.ConformanceTests.Server;
using K3sLab.Lab.Host;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Datastores;

/// <summary>
/// <c>k3s server --datastore-endpoint postgres://...</c> (the published runtime) on a private PostgreSQL: kubectl
/// CRUD, list and watch of ConfigMaps with watch resume and compaction; two servers on one database reading and
/// watching each other's writes; a PostgreSQL restart under a write loop that the server rides out without
/// restarting; and wrong credentials refused at startup with the endpoint's password redacted.
/// </summary>
/// <remarks>
/// This runtime does not store k3s's bootstrap data (CA, keys) in the datastore, so the second server of a shared
/// database gets the first one's <c>server/tls</c> folder copied into its data dir and its token via <c>--token</c>.
/// </remarks>
[Trait("Category", "Conformance")]
public sealed class PostgresDatastoreTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string Kubectl133 = "1.33";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> KubectlAsync(K3sServerProcess server, params string[] args)
    {
        var result = await Kubectl.RunAsync(Kubectl133, server.Kubeconfig, Ct, args);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)} failed: {result.Stderr}\n{server.Log}");
        return result.Stdout.Trim();
    }

    [Fact]
    public async Task Server_OnPostgres_ServesConfigMapsWatchResumeAndSurvivesCompaction()
    {
        await using var server = K3sServerProcess.With("--datastore-endpoint", postgres.Endpoint("k3s_crud"), "--kube-apiserver-arg=etcd-compaction-interval=10s");
        await server.InitializeAsync();

        // The compactor compacts to the revision it saw a tick earlier: the watch below must start within one
        // interval of b's creation, which takes two kubectl runs; 10 s leaves room on a loaded machine.
        await KubectlAsync(server, "create", "configmap", "a", "--from-literal=k=v1");
        var created = await KubectlAsync(server, "get", "configmap", "a", "-o", "jsonpath={.metadata.resourceVersion}");
        await KubectlAsync(server, "label", "configmap", "a", "step=two");
        await KubectlAsync(server, "create", "configmap", "b", "--from-literal=k=v");
        await KubectlAsync(server, "delete", "configmap", "b");

        // A watch resumed from a's creation gets exactly the later changes, in order.
        var resumed = await KubectlAsync(server, "get", "--raw", $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={created}&timeoutSeconds=2");
        var events = resumed.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => System.Text.Json.Nodes.JsonNode.Parse(line)!)
            .Select(e => $"{e["type"]} {e["object"]!["metadata"]!["name"]}")
            .ToList();
        events.Should().Equal("MODIFIED a", "ADDED b", "DELETED b");

        (await KubectlAsync(server, "get", "configmap", "a", "-o", "jsonpath={.metadata.labels.step}/{.data.k}")).Should().Be("two/v1");
        (await KubectlAsync(server, "get", "configmaps", "-o", "name")).Split('\n').Should().Contain("configmap/a").And.NotContain("configmap/b");

        // Once compaction passes the creation revision, reading it is 410 Gone; the server goes on serving.
        var gone = await Eventually.UntilAsync(
            () => Kubectl.RunAsync(Kubectl133, server.Kubeconfig, Ct, "get", "--raw", $"/api/v1/namespaces/default/configmaps?resourceVersion={created}&resourceVersionMatch=Exact"),
            r => r.ExitCode != 0,
            TimeSpan.FromSeconds(45),
            Ct);
        gone.Stderr.Should().Contain("too old resource version", "the API server compacts every 10 s");
        await Eventually.TrueAsync(() => server.Log.Contains("Compacted history through revision", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "the store deletes compacted rows from PostgreSQL", Ct);

        await KubectlAsync(server, "create", "configmap", "c", "--from-literal=k=after");
        var latest = await KubectlAsync(server, "get", "configmap", "c", "-o", "jsonpath={.metadata.resourceVersion}");
        await KubectlAsync(server, "delete", "configmap", "a");
        var after = await KubectlAsync(server, "get", "--raw", $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={latest}&timeoutSeconds=2");
        after.Should().Contain("\"DELETED\"").And.Contain("\"name\":\"a\"");
        (await KubectlAsync(server, "get", "configmaps", "-o", "name")).Split('\n').Should().Contain("configmap/c").And.NotContain("configmap/a");
    }

    [Fact]
    public async Task TwoServers_OneDatabase_ReadAndWatchEachOthersWrites()
    {
        var endpoint = postgres.Endpoint("k3s_shared");
        await using var first = K3sServerProcess.With("--datastore-endpoint", endpoint);
        await first.InitializeAsync();
        var token = (await File.ReadAllTextAsync(Path.Combine(first.DataDir, "server", "token"), Ct)).Trim();
        await using var second = K3sServerProcess.With("--datastore-endpoint", endpoint, "--token", token);
        CopyFolder(Path.Combine(first.DataDir, "server", "tls"), Path.Combine(second.DataDir, "server", "tls"));
        await second.InitializeAsync();

        using var client1 = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(first.Kubeconfig));
        using var client2 = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(second.Kubeconfig));
        var start = (await client2.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: Ct)).Metadata.ResourceVersion;

        var seen = new List<string>();
        using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        watchStop.CancelAfter(TimeSpan.FromSeconds(30));
        var watching = Task.Run(
            async () =>
            {
                await foreach (var (type, item) in client2.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: start, cancellationToken: watchStop.Token))
                {
                    lock (seen)
                    {
                        seen.Add($"{type} {item.Metadata.Name}");
                    }
                }
            },
            Ct);

        await KubectlAsync(first, "create", "configmap", "from-first", "--from-literal=k=1");
        (await KubectlAsync(second, "get", "configmap", "from-first", "-o", "jsonpath={.data.k}")).Should().Be("1", "a write through one server is read through the other");
        await KubectlAsync(second, "create", "configmap", "from-second", "--from-literal=k=2");
        (await KubectlAsync(first, "get", "configmap", "from-second", "-o", "jsonpath={.data.k}")).Should().Be("2");
        await KubectlAsync(second, "label", "configmap", "from-first", "edited=yes");
        (await KubectlAsync(first, "get", "configmap", "from-first", "-o", "jsonpath={.metadata.labels.edited}")).Should().Be("yes");

        await Eventually.TrueAsync(
            () =>
            {
                lock (seen)
                {
                    return seen.Count >= 3;
                }
            },
            TimeSpan.FromSeconds(20),
            "the second server's watch delivers the first server's writes",
            Ct);
        await watchStop.CancelAsync();
        try
        {
            await watching;
        }
        catch (OperationCanceledException)
        {
        }

        seen.Should().StartWith(["Added from-first", "Added from-second", "Modified from-first"]);
    }

    [Fact]
    public async Task PostgresRestart_UnderAWriteLoop_ServerReconnectsAndKeepsEveryAcknowledgedWrite()
    {
        await using var server = K3sServerProcess.With("--datastore-endpoint", postgres.Endpoint("k3s_restart"));
        await server.InitializeAsync();
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        var acknowledged = new List<string>();
        var failed = 0;
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(
            async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var name = $"w-{i:D5}";
                    try
                    {
                        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, "default", cancellationToken: CancellationToken.None);
                        lock (acknowledged)
                        {
                            acknowledged.Add(name);
                        }
                    }
                    catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
                    {
                        Interlocked.Increment(ref failed);
                        await Task.Delay(100, CancellationToken.None);
                    }
                }
            },
            CancellationToken.None);

        await Eventually.TrueAsync(() => Count() >= 20, TimeSpan.FromSeconds(20), "writes succeed before the restart", Ct);
        await postgres.RestartAsync();
        var afterRestart = Count();
        await Eventually.TrueAsync(() => Count() >= afterRestart + 20, TimeSpan.FromSeconds(30), "writes succeed again after pg_ctl restart -m fast", Ct);

        // A longer outage: /readyz fails while PostgreSQL is down and recovers after, the server still running.
        await postgres.StopAsync();
        var down = await Eventually.UntilAsync(() => Kubectl.RunAsync(Kubectl133, server.Kubeconfig, Ct, "get", "--raw", "/readyz"), r => r.ExitCode != 0, TimeSpan.FromSeconds(20), Ct);
        down.ExitCode.Should().NotBe(0, "/readyz fails while the database is down");
        down.Stderr.Should().Contain("etcd failed").And.Contain($"postgres://k3s:***@127.0.0.1:{postgres.Port}/k3s_restart").And.NotContain(postgres.Password);
        await postgres.StartAsync();
        var up = await Eventually.UntilAsync(() => Kubectl.RunAsync(Kubectl133, server.Kubeconfig, Ct, "get", "--raw", "/readyz"), r => r.ExitCode == 0, TimeSpan.FromSeconds(30), Ct);
        up.Stdout.Trim().Should().Be("ok");
        var afterOutage = Count();
        await Eventually.TrueAsync(() => Count() >= afterOutage + 20, TimeSpan.FromSeconds(30), "writes succeed again after PostgreSQL came back", Ct);
        await stop.CancelAsync();
        await loop;

        var listed = (await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: Ct)).Items.Select(c => c.Metadata.Name).ToHashSet();
        listed.Should().Contain(acknowledged, "every acknowledged write survives the restarts");
        failed.Should().BeGreaterThan(0, "the outage was seen by the write loop");
        server.ProcessId.Should().NotBe(0);

        int Count()
        {
            lock (acknowledged)
            {
                return acknowledged.Count;
            }
        }
    }

    [Fact]
    public async Task Server_WrongPassword_ExitsWithTheEndpointRedacted()
    {
        await new PublishedRuntime().InitializeAsync();
        var root = Directory.CreateTempSubdirectory("k3slab-pgwrong-");
        try
        {
            var started = DateTime.UtcNow;
            var result = await K3sCommand.RunAsync(
                TimeSpan.FromSeconds(60),
                Ct,
                "server", "--disable-agent", "--data-dir", Path.Combine(root.FullName, "data"), "--bind-address", "127.0.0.1",
                "--https-listen-port", Loopback.FreePort().ToString(CultureInfo.InvariantCulture), "--write-kubeconfig", Path.Combine(root.FullName, "k3s.yaml"),
                "--datastore-endpoint", postgres.Endpoint("k3s", password: "not-the-password"));
            var output = result.Stdout + result.Stderr;
            result.ExitCode.Should().NotBe(0, output);
            output.Should().Contain($"postgres://k3s:***@127.0.0.1:{postgres.Port}/k3s").And.Contain("password").And.NotContain("not-the-password");
            (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(30), "wrong credentials are not retried");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var folder in Directory.GetDirectories(from))
        {
            CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }
}
