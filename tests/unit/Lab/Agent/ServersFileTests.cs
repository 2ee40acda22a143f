using K3sLab.K3s.Agent.LoadBalancer;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Agent;

/// <summary>The lab balancer's servers file: its lines, a changed file reaching the balancer while it runs, and the state file the lab waits on.</summary>
[Trait("Category", "Integration")]
public sealed class ServersFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("k3slab-servers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Parse_SkipsBlanksAndComments_AndNamesABadLine()
    {
        ServersFile.Parse("# lab servers\n172.28.0.10:6443\n\n  172.28.0.11:6443  \n[fd00::1]:6443\n").Should().Equal("172.28.0.10:6443", "172.28.0.11:6443", "[fd00::1]:6443");

        var bad = () => ServersFile.Parse("172.28.0.10:6443\n172.28.0.11\n");
        bad.Should().Throw<FormatException>().WithMessage("line 2: \"172.28.0.11\" is not an address:port*");
    }

    [Fact]
    public void Read_AMissingFile_IsNull()
    {
        new ServersFile(Path.Combine(_dir, "servers"), TimeProvider.System, NullLogger.Instance).Read().Should().BeNull();
    }

    [Fact]
    public async Task Watch_ReportsEachChange_AndKeepsTheListOnABadOrRemovedFile()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "servers");
        await File.WriteAllTextAsync(path, "10.0.0.1:6443\n", ct);
        var file = new ServersFile(path, TimeProvider.System, NullLogger.Instance);
        file.Read().Should().Equal("10.0.0.1:6443");
        var seen = new List<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watching = file.WatchAsync(list => { lock (seen) { seen.Add(string.Join(' ', list)); } }, stop.Token);

        await ReplaceAsync(path, "10.0.0.1:6443\n10.0.0.2:6443\n", ct);
        await UntilSeenAsync(seen, 1, ct);
        await ReplaceAsync(path, "not a server\n", ct);
        File.Delete(path);
        await ReplaceAsync(path, "10.0.0.2:6443\n", ct);
        await UntilSeenAsync(seen, 2, ct);

        await stop.CancelAsync();
        await watching;
        lock (seen)
        {
            seen.Should().Equal("10.0.0.1:6443 10.0.0.2:6443", "10.0.0.2:6443");
        }
    }

    [Fact]
    public void StateList_IsWhatTheBalancersStateFileHoldsForThatList()
    {
        var path = Path.Combine(_dir, "loadbalancer.json");

        // The balancer saves its list sorted; the lab waits for it in whatever order it asked.
        LoadBalancerStateFile.Save(path, "lab", ["172.28.0.10:6443", "172.28.0.250:6443", "172.28.0.9:6443"]);

        File.ReadAllText(path).Should().Contain(K3sLab.Lab.Cluster.NodeAdder.StateList(["172.28.0.9:6443", "172.28.0.10:6443", "172.28.0.250:6443"]));
        File.ReadAllText(path).Should().NotContain(K3sLab.Lab.Cluster.NodeAdder.StateList(["172.28.0.10:6443", "172.28.0.250:6443"]));
    }

    /// <summary>As the lab writes it: a file beside the list, renamed over it, then a wait past one poll.</summary>
    private static async Task ReplaceAsync(string path, string text, CancellationToken ct)
    {
        await File.WriteAllTextAsync(path + ".new", text, ct);
        File.Move(path + ".new", path, overwrite: true);
        await Task.Delay(ServersFile.PollInterval * 3, ct);
    }

    private static async Task UntilSeenAsync(List<string> seen, int count, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            lock (seen)
            {
                if (seen.Count >= count)
                {
                    return;
                }
            }

            await Task.Delay(50, ct);
        }
    }
}
