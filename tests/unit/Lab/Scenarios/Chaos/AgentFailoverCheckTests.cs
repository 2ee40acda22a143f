using K3sLab.Scenarios.Chaos.Checks;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Lab.Tests.Scenarios.Chaos;

[Trait("Category", "Unit")]
public sealed class AgentFailoverCheckTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, string> Servers = new(StringComparer.Ordinal)
    {
        ["server-0"] = "172.28.0.10:6443",
        ["server-1"] = "172.28.0.11:6443",
    };

    private static string Line(double seconds, string address, string from, string to, string cause) =>
        $"{Start.AddSeconds(seconds):yyyy-MM-ddTHH:mm:ss.fffZ} info: k3s.loadbalancer[6440] Server {address}@{from}->{to} from {cause}";

    private static readonly string Log = string.Join('\n',
        Line(1.0, "172.28.0.10:6443", "UNCHECKED", "ACTIVE", "successful dial"),
        "2026-12-03T09:00:01.500Z info: k3s.kubelet[3005] unrelated",
        Line(3.0, "172.28.0.11:6443", "RECOVERING", "PREFERRED", "successful health check"),
        Line(8.0, "172.28.0.11:6443", "PREFERRED", "HEALTHY", "successful health check"),
        Line(10.25, "172.28.0.10:6443", "ACTIVE", "FAILED", "closed tunnel"),
        Line(10.5, "172.28.0.11:6443", "PREFERRED", "ACTIVE", "successful dial"));

    [Fact]
    public void ActiveAt_ReplaysTheTransitions()
    {
        var transitions = AgentFailoverCheck.Transitions(Log);

        transitions.Should().HaveCount(5);
        AgentFailoverCheck.ActiveAt(transitions, Start.AddSeconds(0.5)).Should().BeNull();
        AgentFailoverCheck.ActiveAt(transitions, Start.AddSeconds(5)).Should().Be("172.28.0.10:6443");
        AgentFailoverCheck.ActiveAt(transitions, Start.AddSeconds(10.3)).Should().BeNull("the active server failed and none took over yet");
        AgentFailoverCheck.ActiveAt(transitions, Start.AddSeconds(11)).Should().Be("172.28.0.11:6443");
    }

    [Fact]
    public void DescribeStates_GivesEachServersLastStateAndSince()
    {
        var transitions = AgentFailoverCheck.Transitions(Log);

        AgentFailoverCheck.DescribeStates(transitions, Start.AddSeconds(0.5)).Should().Be("no transitions in its log");
        AgentFailoverCheck.DescribeStates(transitions, Start.AddSeconds(10.3)).Should().Be("172.28.0.10:6443 FAILED since 09:00:10.250, 172.28.0.11:6443 HEALTHY since 09:00:08.000");
    }

    [Fact]
    public void Run_KillOfTheActiveServer_TimesTheMoveFromTheFault()
    {
        TimelineEvent[] timeline = [new(10.0, "fault", "kill server-0 (power loss: SIGKILL to the whole node; the engine call took 0.30 s)")];

        var result = AgentFailoverCheck.Run(timeline, Start, new Dictionary<string, string> { ["agent-0"] = Log }, Servers, TimeSpan.FromSeconds(1));

        result.Passed.Should().BeTrue(result.Summary);
        result.Summary.Should().Contain("agent-0: server-0 down (kill) -> out of ACTIVE after 0.250 s with 172.28.0.11:6443 ready, next connection on 172.28.0.11:6443 after 0.500 s");
    }

    [Fact]
    public void Run_MoveSlowerThanTheBound_Fails()
    {
        TimelineEvent[] timeline = [new(10.0, "fault", "stop server-0")];

        var result = AgentFailoverCheck.Run(timeline, Start, new Dictionary<string, string> { ["agent-0"] = Log }, Servers, TimeSpan.FromMilliseconds(200));

        result.Passed.Should().BeFalse();
        result.Details.Should().ContainSingle().Which.Should().Contain("out of ACTIVE after 0.250 s");
    }

    [Fact]
    public void Run_NoOtherServerReady_Fails()
    {
        var log = string.Join('\n', Line(1.0, "172.28.0.10:6443", "UNCHECKED", "ACTIVE", "successful dial"), Line(10.2, "172.28.0.10:6443", "ACTIVE", "FAILED", "closed tunnel"));
        TimelineEvent[] timeline = [new(10.0, "fault", "kill server-0")];

        var result = AgentFailoverCheck.Run(timeline, Start, new Dictionary<string, string> { ["agent-0"] = log }, Servers, TimeSpan.FromSeconds(1));

        result.Passed.Should().BeFalse();
        result.Summary.Should().Contain("but no other server was ready");
    }

    [Fact]
    public void Run_FaultOnAnotherServer_NeedsNoFailover()
    {
        TimelineEvent[] timeline = [new(5.0, "fault", "kill server-1 (power loss)")];

        var result = AgentFailoverCheck.Run(timeline, Start, new Dictionary<string, string> { ["agent-0"] = Log }, Servers, TimeSpan.FromSeconds(1));

        result.Passed.Should().BeTrue();
        result.Summary.Should().StartWith("no fault took down an agent's active server (1 server faults)");
    }

    [Fact]
    public void Run_NoMoveAfterTheFault_FailsAsNever()
    {
        var log = Line(1.0, "172.28.0.10:6443", "UNCHECKED", "ACTIVE", "successful dial");
        TimelineEvent[] timeline = [new(10.0, "fault", "pause server-0")];

        var result = AgentFailoverCheck.Run(timeline, Start, new Dictionary<string, string> { ["agent-0"] = log }, Servers, TimeSpan.FromSeconds(1));

        result.Passed.Should().BeFalse();
        result.Summary.Should().Contain("the balancer kept it ACTIVE for 60 s");
    }
}
