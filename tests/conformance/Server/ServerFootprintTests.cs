using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// What a server costs the machine beyond its own work. A node container or a systemd unit starts <c>k3s</c> from
/// <c>/</c>; ASP.NET Core's default builders would watch that directory recursively for <c>appsettings.json</c>
/// changes, one inotify watch per directory of the machine (51,203 on the development VM, and about 24 MiB of memory).
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ServerFootprintTests : IAsyncLifetime
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private readonly LoopbackCluster _cluster = new("k3slab-footprint-");

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Server_StartedFromRoot_WatchesNoFiles()
    {
        var ct = TestContext.Current.CancellationToken;

        // Every listener the runtime has: the API server, the embedded datastore's etcd API and Raft peers, and the
        // kubelet API.
        var server = _cluster.Server("fp1", 1, runsKubelet: true);
        server.WorkingDirectory = "/";
        server.Start("--cluster-init");
        await server.WaitListeningAsync(Start, ct);
        await Eventually.TrueAsync(() => server.Log.Contains("Kubelet API listening", StringComparison.Ordinal), Start, $"fp1 starts its kubelet API\n{server.Log}", ct);

        var watches = InotifyWatches(server.ProcessId ?? throw new InvalidOperationException($"fp1 exited:\n{server.Log}"));

        watches.Should().Be(0, "the runtime reads no configuration files, so nothing should be watched");
    }

    /// <summary>The inotify watches the process holds, over all its inotify descriptors.</summary>
    private static int InotifyWatches(int pid)
    {
        var total = 0;
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target == "anon_inode:inotify")
            {
                total += File.ReadLines($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}").Count(l => l.StartsWith("inotify ", StringComparison.Ordinal));
            }
        }

        return total;
    }
}
