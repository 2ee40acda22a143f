using System.Text.Json.Nodes;
using K3sLab.ConformanceTests.Datastore;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// k3s's snapshot and restore of the embedded datastore on real <c>k3s server</c> processes, checked with kubectl
/// and etcdctl: <c>k3s etcd-snapshot save|ls|delete</c> (and etcdctl's <c>snapshot save</c> of the same stream), then <c>--cluster-reset --cluster-reset-restore-path</c>
/// brings back exactly the snapshot's objects, and a second server whose <c>server/db</c> was removed rejoins (the
/// procedure of k3s's docs and its <c>tests/docker/snapshotrestore</c>). Plus the refusals: a file that is not a
/// snapshot (nothing moved), a reset under a running server, <c>--cluster-reset</c> with <c>--server</c>, a second
/// reset, a wrong token.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class SnapshotRestoreTests : IAsyncLifetime
{
    private const string ResetDone = "Managed etcd cluster membership has been reset, restart without --cluster-reset flag now. Backup and delete ${datadir}/server/db on each peer etcd server and rejoin the nodes";
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Command = TimeSpan.FromSeconds(60);
    private readonly LoopbackCluster _cluster = new("k3slab-snap-");

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task SaveThenRestore_ServesExactlyTheSnapshotsObjects_AndAWipedServerRejoins()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = Node("r1", 1);
        first.Start("--cluster-init");
        await first.WaitListeningAsync(Start, ct);
        var token = first.Token;
        var second = Node("r2", 2);
        string[] join = ["--server", first.Url, "--token", token];
        second.Start(join);
        await second.WaitListeningAsync(Start, ct);
        await WaitMembersAsync(first, 2, ct);

        (await KubectlAsync(first, ct, "create", "configmap", "snap-a", "--from-literal=k=a")).ExitCode.Should().Be(0);
        var save = await K3sCommand.RunAsync(Command, ct, "etcd-snapshot", "save", "--data-dir", first.DataDir);
        save.ExitCode.Should().Be(0, save.Stderr);
        save.Stderr.Should().MatchRegex(@"Snapshot on-demand-r1-\d+ saved\.");
        var snapshots = Path.Combine(first.DataDir, "server", "db", "snapshots");
        var snapshot = Directory.GetFiles(snapshots).Should().ContainSingle().Which;
        Path.GetFileName(snapshot).Should().MatchRegex(@"^on-demand-r1-\d{10}$");

        var list = await K3sCommand.RunAsync(Command, ct, "etcd-snapshot", "ls", "--data-dir", first.DataDir);
        list.ExitCode.Should().Be(0, list.Stderr);
        var lines = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().MatchRegex(@"^Name +Location +Size +Created$");
        lines[1].Should().MatchRegex($@"^{Path.GetFileName(snapshot)} +file://{snapshot} +{new FileInfo(snapshot).Length} +\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ$");

        // etcdctl's own snapshot save takes the same stream and accepts its checksum trailer.
        var viaEtcdctl = Path.Combine(_cluster.Root.FullName, "etcdctl.db");
        var etcdctl = await Etcdctl.RunAsync(first.EtcdUrl, [.. first.EtcdctlTls, "snapshot", "save", viaEtcdctl], null, TimeSpan.FromSeconds(30), ct);
        etcdctl.ExitCode.Should().Be(0, etcdctl.Stderr);
        etcdctl.Stdout.Should().Contain($"Snapshot saved at {viaEtcdctl}");

        (await KubectlAsync(second, ct, "create", "configmap", "snap-b", "--from-literal=k=b")).ExitCode.Should().Be(0);
        await first.StopAsync();
        await second.StopAsync();

        first.Start("--cluster-reset", "--cluster-reset-restore-path", snapshot, "--token", token);
        (await first.WaitExitAsync(Command, ct)).Should().Be(0, first.Log);
        first.Log.Should().Contain(ResetDone);
        var db = Path.Combine(first.DataDir, "server", "db");
        File.Exists(Path.Combine(db, "reset-flag")).Should().BeTrue();
        Directory.GetDirectories(db, "etcd-old-*").Should().ContainSingle("the old datastore is moved aside, not deleted");

        first.Start();
        await first.WaitListeningAsync(Start, ct);
        var a = await Eventually.UntilAsync(() => KubectlAsync(first, ct, "get", "configmap", "snap-a", "-o", "jsonpath={.data.k}"), r => r.ExitCode == 0, TimeSpan.FromSeconds(30), ct);
        a.Stdout.Should().Be("a", a.Stderr);
        var b = await KubectlAsync(first, ct, "get", "configmap", "snap-b");
        b.ExitCode.Should().NotBe(0);
        b.Stderr.Should().Contain("configmaps \"snap-b\" not found");
        File.Exists(Path.Combine(db, "reset-flag")).Should().BeFalse("a normal start removes the reset flag");
        (await MembersAsync(first, ct)).Should().ContainSingle();

        // The peer's old data belongs to the cluster before the restore: remove it and join again, as k3s's docs say.
        Directory.Delete(Path.Combine(second.DataDir, "server", "db"), recursive: true);
        second.Start(join);
        await second.WaitListeningAsync(Start, ct);
        await WaitMembersAsync(first, 2, ct);
        var fromSecond = await Eventually.UntilAsync(() => KubectlAsync(second, ct, "get", "configmap", "snap-a", "-o", "jsonpath={.data.k}"), r => r.ExitCode == 0, TimeSpan.FromSeconds(30), ct);
        fromSecond.Stdout.Should().Be("a", fromSecond.Stderr);
        (await KubectlAsync(second, ct, "get", "configmap", "snap-b")).ExitCode.Should().NotBe(0);

        var delete = await K3sCommand.RunAsync(Command, ct, "etcd-snapshot", "delete", "--data-dir", first.DataDir, Path.GetFileName(snapshot), "on-demand-r1-1");
        delete.ExitCode.Should().Be(0, delete.Stderr);
        delete.Stderr.Should().Contain($"Snapshot {Path.GetFileName(snapshot)} deleted.").And.Contain("Snapshot on-demand-r1-1 not found.");
        Directory.GetFiles(snapshots).Should().BeEmpty();
    }

    [Fact]
    public async Task BadResets_AreRefusedAndChangeNothing_WhileAPlainResetKeepsTheData()
    {
        var ct = TestContext.Current.CancellationToken;
        var node = Node("x1", 11);
        node.Start("--cluster-init");
        await node.WaitListeningAsync(Start, ct);
        var token = node.Token;
        (await K3sCommand.RunAsync(Command, ct, "etcd-snapshot", "save", "--data-dir", node.DataDir)).ExitCode.Should().Be(0);
        var snapshot = Directory.GetFiles(Path.Combine(node.DataDir, "server", "db", "snapshots")).Should().ContainSingle().Which;
        var sameDataDir = Node("x1", 11);
        await RefusedAsync(sameDataDir, "is in use by a running k3s server: stop it before --cluster-reset", ct, "--cluster-reset", "--cluster-reset-restore-path", snapshot);
        (await KubectlAsync(node, ct, "get", "namespace", "default")).ExitCode.Should().Be(0, "the running server goes on");
        await node.StopAsync();
        var db = Path.Combine(node.DataDir, "server", "db");
        var before = Listing(db);

        var notASnapshot = Path.Combine(_cluster.Root.FullName, "not-a-snapshot");
        await File.WriteAllTextAsync(notASnapshot, "this is not a datastore snapshot, just some text that is long enough to have a trailer", ct);
        await RefusedAsync(node, "is not a datastore snapshot", ct, "--cluster-reset", "--cluster-reset-restore-path", notASnapshot);
        await RefusedAsync(node, "does not exist", ct, "--cluster-reset", "--cluster-reset-restore-path", Path.Combine(_cluster.Root.FullName, "missing"));
        await RefusedAsync(node, "cannot perform cluster-reset while server URL is set", ct, "--cluster-reset", "--server", "https://127.0.0.1:6443", "--token", token);
        await RefusedAsync(node, "invalid flag use; --cluster-reset required with --cluster-reset-restore-path", ct, "--cluster-reset-restore-path", notASnapshot);
        var otherToken = token[..token.LastIndexOf(':')] + ":not-the-password";
        await RefusedAsync(node, "the --token given does not match the token in", ct, "--cluster-reset", "--cluster-reset-restore-path", snapshot, "--token", otherToken);

        var save = await K3sCommand.RunAsync(Command, ct, "etcd-snapshot", "save", "--data-dir", node.DataDir);
        save.ExitCode.Should().Be(1, "no server is running to take the snapshot from");
        save.Stderr.Should().Contain("no running server answers for this data dir's datastore");
        Listing(db).Should().Equal(before, "a refused reset moves and deletes nothing");

        // A reset that keeps the data: done once, refused while its flag stands, and a normal start serves the data.
        node.Start("--cluster-reset");
        (await node.WaitExitAsync(Command, ct)).Should().Be(0, node.Log);
        node.Log.Should().Contain(ResetDone);
        await RefusedAsync(node, "Managed etcd cluster membership was previously reset, please remove the cluster-reset flag and start k3s normally.", ct, "--cluster-reset");
        node.Start();
        await node.WaitListeningAsync(Start, ct);
        var kept = await Eventually.UntilAsync(() => KubectlAsync(node, ct, "get", "namespace", "kube-system", "-o", "name"), r => r.ExitCode == 0, TimeSpan.FromSeconds(30), ct);
        kept.Stdout.Trim().Should().Be("namespace/kube-system", "a reset keeps the data");
        File.Exists(Path.Combine(db, "reset-flag")).Should().BeFalse("a normal start removes the reset flag");
        await node.StopAsync();

        var other = Node("x2", 12);
        var sqlite = await K3sCommand.RunAsync(Command, ct, "etcd-snapshot", "save", "--data-dir", other.DataDir);
        sqlite.ExitCode.Should().Be(1);
        sqlite.Stderr.Should().Contain("etcd snapshots need the embedded datastore");
    }

    private ServerNode Node(string name, byte host) => _cluster.Server(name, host);

    private static string[] Listing(string directory) =>
        [.. Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories).Select(p => $"{p} {(File.Exists(p) ? new FileInfo(p).Length : -1)}").Order(StringComparer.Ordinal)];

    private static async Task RefusedAsync(ServerNode node, string message, CancellationToken ct, params string[] flags)
    {
        var mark = node.Log.Length;
        node.Start(flags);
        var code = await node.WaitExitAsync(TimeSpan.FromSeconds(60), ct);
        code.Should().Be(1, node.Log[mark..]);
        node.Log[mark..].Should().Contain(message);
    }

    private static Task<KubectlResult> KubectlAsync(ServerNode node, CancellationToken ct, params string[] args) =>
        Kubectl.RunAsync("1.33", node.Kubeconfig, ct, ["--server", node.Url, "--request-timeout", "10s", .. args]);

    private static async Task WaitMembersAsync(ServerNode node, int voters, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        IReadOnlyList<(string Name, bool IsLearner)> members = [];
        while (DateTime.UtcNow < deadline)
        {
            members = await MembersAsync(node, ct);
            if (members.Count == voters && members.All(m => !m.IsLearner && m.Name.Length > 0))
            {
                return;
            }

            await Task.Delay(250, ct);
        }

        members.Should().HaveCount(voters, $"members: {string.Join(", ", members)}\n{node.Log}");
    }

    private static async Task<IReadOnlyList<(string Name, bool IsLearner)>> MembersAsync(ServerNode node, CancellationToken ct)
    {
        var result = await Etcdctl.RunAsync(node.EtcdUrl, [.. node.EtcdctlTls, "member", "list", "-w", "json"], null, TimeSpan.FromSeconds(10), ct);
        if (result.ExitCode != 0 || JsonNode.Parse(result.Stdout)?["members"] is not JsonArray list)
        {
            return [];
        }

        return [.. list.OfType<JsonObject>().Select(m => (m["name"]?.GetValue<string>() ?? string.Empty, m["isLearner"]?.GetValue<bool>() ?? false))];
    }
}
