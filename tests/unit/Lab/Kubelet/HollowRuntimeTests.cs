using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class HollowRuntimeTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    private static IRunningContainer Start(HollowRuntime runtime) =>
        runtime.Start(["sleep", "infinity"], NoEnvironment, null, "/nonexistent/0.log", [new VolumeMount("/nonexistent/v", "/data", false)]);

    [Fact]
    public void Start_AnyContainer_RunsWithAHollowIdAndNoProcess()
    {
        var runtime = new HollowRuntime();

        using var first = Start(runtime);
        using var second = Start(runtime);

        first.Id.Should().StartWith("hollow://");
        second.Id.Should().NotBe(first.Id);
        first.Pid.Should().BeNull();
        first.WaitAsync(CancellationToken.None).IsCompleted.Should().BeFalse("a hollow container runs until it is stopped");
        File.Exists("/nonexistent/0.log").Should().BeFalse();
    }

    [Fact]
    public async Task StopAsync_WithGracePeriod_ExitsZeroAsPauseDoesOnSigterm()
    {
        using var container = Start(new HollowRuntime());

        var code = await container.StopAsync(TimeSpan.FromSeconds(30), TimeProvider.System);

        code.Should().Be(0);
        (await container.WaitAsync(CancellationToken.None)).Should().Be(0);
    }

    [Fact]
    public async Task StopAsync_WithoutGracePeriod_ExitsAsKilled()
    {
        using var container = Start(new HollowRuntime());

        (await container.StopAsync(TimeSpan.Zero, TimeProvider.System)).Should().Be(HollowContainer.KilledExitCode);
    }

    [Fact]
    public async Task Exit_ThenStop_KeepsTheFirstExitCode()
    {
        using var container = (HollowContainer)Start(new HollowRuntime());
        var waiting = container.WaitAsync(CancellationToken.None);

        container.Exit(3).Should().BeTrue();
        container.Exit(4).Should().BeFalse();

        (await waiting).Should().Be(3);
        container.HasExited.Should().BeTrue();
        (await container.StopAsync(TimeSpan.Zero, TimeProvider.System)).Should().Be(3);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_LeavesTheContainerRunning()
    {
        using var container = (HollowContainer)Start(new HollowRuntime());
        using var cancel = new CancellationTokenSource();
        var waiting = container.WaitAsync(cancel.Token);

        await cancel.CancelAsync();

        await waiting.Invoking(w => w).Should().ThrowAsync<OperationCanceledException>();
        container.HasExited.Should().BeFalse();
    }

    [Fact]
    public void Command_WithCommandAndArgs_IsThemInOrder()
    {
        var spec = (JsonObject)JsonNode.Parse("""{"name":"c","image":"registry.example/app:1","command":["/app"],"args":["--port","80"]}""")!;

        new HollowRuntime().Command(spec, NoEnvironment, out var error).Should().Equal("/app", "--port", "80");
        error.Should().BeNull();
    }

    [Fact]
    public void Command_ImageWithoutKnownEntrypoint_IsTheImageRatherThanAnError()
    {
        var spec = (JsonObject)JsonNode.Parse("""{"name":"c","image":"registry.example/unknown:1"}""")!;

        new HollowRuntime().Command(spec, NoEnvironment, out var error).Should().Equal("registry.example/unknown:1");
        error.Should().BeNull();
    }
}
