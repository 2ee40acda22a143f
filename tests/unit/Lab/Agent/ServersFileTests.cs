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
    public void Poll_ReportsEachChange_AndKeepsTheListOnABadOrRemovedFile()
    {
        var path = Path.Combine(_dir, "servers");
        File.WriteAllText(path, "10.0.0.1:6443\n");
        var file = new ServersFile(path, TimeProvider.System, NullLogger.Instance);
        file.Read().Should().Equal("10.0.0.1:6443");
        file.Poll().Should().BeNull("nothing changed since the read");

        Replace(path, "10.0.0.1:6443\n10.0.0.2:6443\n");
        file.Poll().Should().Equal("10.0.0.1:6443", "10.0.0.2:6443");
        Replace(path, "not a server\n");
        file.Poll().Should().BeNull("a bad file is logged and the balancer keeps its list");
        File.Delete(path);
        file.Poll().Should().BeNull("so is a removed one");
        Replace(path, "10.0.0.2:6443\n");
        file.Poll().Should().Equal("10.0.0.2:6443");
        file.Poll().Should().BeNull();
    }

    [Fact]
    public async Task Watch_HandsAChangeToTheBalancer_AndStopsWhenCancelled()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "servers");
        File.WriteAllText(path, "10.0.0.1:6443\n");
        var file = new ServersFile(path, TimeProvider.System, NullLogger.Instance);
        file.Read();
        var seen = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watching = file.WatchAsync(list => seen.TrySetResult(list), stop.Token);

        Replace(path, "10.0.0.3:6443\n");

        (await seen.Task.WaitAsync(TimeSpan.FromSeconds(20), ct)).Should().Equal("10.0.0.3:6443");
        await stop.CancelAsync();
        await watching;
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

    /// <summary>As the lab writes it: a file beside the list, renamed over it.</summary>
    private static void Replace(string path, string text)
    {
        File.WriteAllText(path + ".new", text);
        File.Move(path + ".new", path, overwrite: true);
    }
}
