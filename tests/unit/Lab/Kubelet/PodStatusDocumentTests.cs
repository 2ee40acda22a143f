using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class PodStatusDocumentTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static ContainerRecord Running(string name, int pid = 42) =>
        new(name, "busybox", init: false) { Phase = ContainerPhase.Running, Pid = pid, ContainerId = $"process://{pid}", StartedAt = T0 };

    private static ContainerRecord Exited(string name, int code, bool init = false) =>
        new(name, "busybox", init) { Phase = ContainerPhase.Terminated, Exit = new ContainerExit(code, code == 0 ? "Completed" : "Error", null, T0, T0.AddSeconds(1), "process://7"), Done = true };

    private static string Conditions(JsonObject status) =>
        string.Join(',', status["conditions"]!.AsArray().Select(c => $"{c!["type"]}={c["status"]}"));

    [Fact]
    public void Build_AllRunning_IsRunningAndReady_WithTheNodeIpAsPodIp()
    {
        var status = PodStatusDocument.Build([], [Running("app")], "10.0.0.5", T0, null, T0);
        status["phase"]!.ToString().Should().Be("Running");
        Conditions(status).Should().Be("PodReadyToStartContainers=True,Initialized=True,Ready=True,ContainersReady=True,PodScheduled=True");
        status["podIP"]!.ToString().Should().Be("10.0.0.5");
        status["hostIP"]!.ToString().Should().Be("10.0.0.5");
        var container = status["containerStatuses"]![0]!;
        container["containerID"]!.ToString().Should().Be("process://42");
        container["state"]!["running"]!["startedAt"]!.ToString().Should().Be("2026-12-01T00:00:00Z");
        container["ready"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public void Build_InitPending_IsPendingAndNotInitialized()
    {
        var init = new ContainerRecord("setup", "busybox", init: true) { Phase = ContainerPhase.Running, Pid = 9, ContainerId = "process://9", StartedAt = T0 };
        var main = new ContainerRecord("app", "busybox", init: false) { WaitingReason = "PodInitializing" };
        var status = PodStatusDocument.Build([init], [main], "10.0.0.5", T0, null, T0);
        status["phase"]!.ToString().Should().Be("Pending");
        var initialized = status["conditions"]!.AsArray().Single(c => c!["type"]!.ToString() == "Initialized")!;
        initialized["status"]!.ToString().Should().Be("False");
        initialized["reason"]!.ToString().Should().Be("ContainersNotInitialized");
        initialized["message"]!.ToString().Should().Be("containers with incomplete status: [setup]");
        status["containerStatuses"]![0]!["state"]!["waiting"]!["reason"]!.ToString().Should().Be("PodInitializing");
        status["initContainerStatuses"]![0]!["state"]!["running"].Should().NotBeNull();
    }

    [Fact]
    public void Build_CrashLooping_IsRunning_WithLastStateAndRestartCount()
    {
        var app = new ContainerRecord("app", "busybox", init: false)
        {
            WaitingReason = "CrashLoopBackOff",
            WaitingMessage = "back-off 10s restarting failed container=app pod=p_ns(u)",
            LastExit = new ContainerExit(1, "Error", null, T0, T0.AddSeconds(1), "process://7"),
            RestartCount = 1,
        };
        var status = PodStatusDocument.Build([], [app], "10.0.0.5", T0, null, T0);
        status["phase"]!.ToString().Should().Be("Running");
        var container = status["containerStatuses"]![0]!;
        container["state"]!.ToJsonString().Should().Be("""{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 10s restarting failed container=app pod=p_ns(u)"}}""");
        container["lastState"]!["terminated"]!["exitCode"]!.GetValue<int>().Should().Be(1);
        container["restartCount"]!.GetValue<int>().Should().Be(1);
        container["ready"]!.GetValue<bool>().Should().BeFalse();
        status["conditions"]!.AsArray().Single(c => c!["type"]!.ToString() == "Ready")!["message"]!.ToString().Should().Be("containers with unready status: [app]");
    }

    [Theory]
    [InlineData(0, 0, "Succeeded")]
    [InlineData(0, 2, "Failed")]
    public void Build_AllDone_HasTheFinalPhase(int first, int second, string phase)
    {
        var status = PodStatusDocument.Build([], [Exited("a", first), Exited("b", second)], "10.0.0.5", T0, null, T0);
        status["phase"]!.ToString().Should().Be(phase);
        status["conditions"]!.AsArray().Single(c => c!["type"]!.ToString() == "Ready")!["reason"]!.ToString().Should().Be("PodCompleted");
        status["containerStatuses"]![1]!["state"]!["terminated"]!["exitCode"]!.GetValue<int>().Should().Be(second);
    }

    [Fact]
    public void Build_FailedInitContainer_FailsThePod()
    {
        PodStatusDocument.Build([Exited("setup", 3, init: true)], [new ContainerRecord("app", "busybox", false)], "10.0.0.5", T0, null, T0)["phase"]!.ToString().Should().Be("Failed");
    }

    [Fact]
    public void Build_KeepsTransitionTimes_WhileAConditionHolds()
    {
        var first = PodStatusDocument.Build([], [Running("app")], "10.0.0.5", T0, null, T0);
        var again = PodStatusDocument.Build([], [Running("app")], "10.0.0.5", T0, first["conditions"]!.AsArray(), T0.AddMinutes(1));
        again["conditions"]!.AsArray().Select(c => c!["lastTransitionTime"]!.ToString()).Should().OnlyContain(t => t == "2026-12-01T00:00:00Z");
        var notReady = PodStatusDocument.Build([], [new ContainerRecord("app", "busybox", false)], "10.0.0.5", T0, first["conditions"]!.AsArray(), T0.AddMinutes(2));
        notReady["conditions"]!.AsArray().Single(c => c!["type"]!.ToString() == "Ready")!["lastTransitionTime"]!.ToString().Should().Be("2026-12-01T00:02:00Z");
    }
}
