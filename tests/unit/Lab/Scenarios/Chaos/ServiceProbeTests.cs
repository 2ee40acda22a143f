using K3sLab.Scenarios.Chaos.Checks;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;
using K3sLab.Scenarios.Chaos.Workloads;

namespace K3sLab.Lab.Tests.Scenarios.Chaos;

/// <summary>The <c>service-probe</c> step and the <c>service-outage</c> check: parsing, refusals, the probe's output lines and the verdicts.</summary>
[Trait("Category", "Unit")]
public sealed class ServiceProbeTests
{
    private static readonly DateTimeOffset Origin = DateTimeOffset.FromUnixTimeMilliseconds(1_765_000_000_000);

    private static string Scenario(string steps, string checks = "  - service-outage: {max: 30s}", int agents = 1) => $$"""
        name: s
        cluster: {servers: 3, agents: {{agents}}}
        steps:
        {{steps}}
        checks:
        {{checks}}
        """;

    [Fact]
    public void Parse_ServiceProbeAndItsCheck_BuildStepAndBound()
    {
        var s = ScenarioParser.Parse(Scenario("  - service-probe: {from: agent-0}"), "s.yaml");

        s.Steps.Single().Should().Be(new ServiceProbeStep(4, "agent-0"));
        s.Steps.Single().Describe().Should().Be("service-probe: from agent-0");
        s.Checks.Single().Kind.Should().Be(CheckKind.ServiceOutage);
        s.Checks.Single().Limit.Should().Be(TimeSpan.FromSeconds(30));
        ScenarioParser.Parse(Scenario("  - service-probe: server-1"), "s.yaml").Steps.Single().Should().Be(new ServiceProbeStep(4, "server-1"));
        TopologyRules.References(s.Steps[0]).Should().Equal("agent-0");
    }

    [Theory]
    [InlineData("  - service-probe: {from: agent-0, via: lb}", "s.yaml:4: unknown key 'via' (allowed here: from)")]
    [InlineData("  - service-probe: {}", "s.yaml:4: which node's pod makes the calls? give 'from:', e.g. {from: agent-0}")]
    [InlineData("  - service-probe: lb", "s.yaml:4: service-probe runs its client pod on a server or an agent named as such (server-0, agent-1), not 'lb'")]
    [InlineData("  - service-probe: agent-0\n  - service-probe: agent-0", "s.yaml:5: service-probe starts once per run (it runs until the checks)")]
    [InlineData("  - wait: 1s", "s.yaml:6: the check 'service-outage' reads the Service probe's calls; start it with a step '- service-probe: {from: agent-0}'")]
    public void Parse_BadServiceProbe_IsRefusedWithItsLine(string steps, string message)
    {
        var parse = () => ScenarioParser.Parse(Scenario(steps), "s.yaml");

        parse.Should().Throw<ScenarioFormatException>().WithMessage(message);
    }

    [Fact]
    public void Parse_ServiceProbeWithoutAgents_IsRefused()
    {
        var parse = () => ScenarioParser.Parse(Scenario("  - service-probe: server-0", agents: 0), "s.yaml");

        parse.Should().Throw<ScenarioFormatException>().WithMessage("s.yaml:4: service-probe runs its web pods on the agents, and the cluster has none; add agents: 1 or more");
    }

    [Fact]
    public void Parse_ServiceOutageWithoutBound_IsRefused()
    {
        var parse = () => ScenarioParser.Parse(Scenario("  - service-probe: agent-0", "  - service-outage"), "s.yaml");

        parse.Should().Throw<ScenarioFormatException>().WithMessage("s.yaml:6: service-outage takes a bound: '- service-outage: {max: 30s}'");
    }

    [Fact]
    public void CallParse_ReadsAnswersAndFailures()
    {
        var ok = ServiceProbeCall.Parse("1765000010.250000 1765000010.261500 0 hello from probe-web-1-agent-0", Origin)!;
        (ok.Ok, ok.Answer).Should().Be((true, "probe-web-1-agent-0"));
        ok.Start.Should().BeApproximately(10.25, 1e-6);
        ok.End.Should().BeApproximately(10.2615, 1e-6);
        ok.Kind.Should().Be("ok");

        var timeout = ServiceProbeCall.Parse("1765000012.000000 1765000015.004000 124 ", Origin)!;
        (timeout.Ok, timeout.Kind, timeout.Answer).Should().Be((false, "timeout", "exit 124"));
        ServiceProbeCall.Parse("1765000001.5 1765000001.6 1 bash: line 1: probe-x: Name or service not known bash: line 1: /dev/tcp/probe-x/80: Invalid argument", Origin)!.Kind.Should().Be("no such name");
        ServiceProbeCall.Parse("1765000001.5 1765000001.6 1 bash: connect: Connection refused", Origin)!.Kind.Should().Be("refused");
        ServiceProbeCall.Parse("1765000001.5 1765000001.6 0 HTTP/1.0 500 oops", Origin)!.Ok.Should().BeFalse("only a web pod's greeting counts as an answer");
        ServiceProbeCall.Parse("1765000001.5 17650", Origin).Should().BeNull("a torn last line");
        ServiceProbeCall.Parse("", Origin).Should().BeNull();
    }

    private static List<ServiceProbeCall> Calls(double from, double to, Func<double, bool> ok)
    {
        var calls = new List<ServiceProbeCall>();
        for (var t = from; t < to; t += 0.5)
        {
            var answered = ok(t);
            calls.Add(new ServiceProbeCall(t, answered ? t + 0.01 : t + 0.4, answered, answered ? $"web-{(int)(t * 2) % 2}" : "exit 124"));
        }

        return calls;
    }

    private static readonly TimelineEvent[] KillAt20 = [new(20, "fault", "kill server-0"), new(60, "heal", "start server-0")];

    [Fact]
    public void Check_FailuresSoonAfterAFault_Pass()
    {
        var calls = Calls(0, 90, t => t is < 20 or > 40 || (int)(t * 2) % 3 != 0);

        var result = ServiceOutageCheck.Run(new ServiceProbeResult("agent-0", "probe-1", calls), KillAt20, TimeSpan.FromSeconds(30));

        result.Passed.Should().BeTrue(string.Join("; ", result.Details));
        result.Summary.Should().Be("180 calls from agent-0 to http://probe-1: 167 answered (web-0 83, web-1 84), 13 failed (timeout ×13); longest without an answer 1.00 s (from 20.5 s), bound 30 s");
    }

    [Fact]
    public void Check_FailuresPastTheBound_Fail()
    {
        // The dead server never leaves the endpoints: a third of the calls fail until it is back.
        var calls = Calls(0, 90, t => t is < 20 or > 62 || (int)(t * 2) % 3 != 0);

        var result = ServiceOutageCheck.Run(new ServiceProbeResult("agent-0", "probe-1", calls), KillAt20, TimeSpan.FromSeconds(30));

        result.Passed.Should().BeFalse();
        result.Details.Should().HaveCount(6).And.AllSatisfy(d => d.Should().MatchRegex(@"^a call at 5\d\.\d{3} s failed \(exit 124\) with no fault or heal while it ran or in the 30 s before it$"));
    }

    [Fact]
    public void Check_LongOutageAndFailedLastCall_Fail()
    {
        var calls = Calls(0, 40, t => t is < 21 or (> 35 and < 39.5));

        var result = ServiceOutageCheck.Run(new ServiceProbeResult("agent-0", "probe-1", calls), KillAt20, TimeSpan.FromSeconds(10));

        result.Passed.Should().BeFalse();
        result.Details.Should().HaveCount(12, "ten calls failed past the 10 s after the fault").And.EndWith(
            ["no call was answered from 20.510 s to 35.510 s", "the last call, at 39.500 s, failed (exit 124): the Service was not reachable when the run ended"]);
    }

    [Fact]
    public void Check_CallRunningWhenTheFaultCame_IsExplainedByIt()
    {
        // Started 9 ms before the kill was asked for, and timed out: the lookup went to the server that died.
        List<ServiceProbeCall> calls = [new(10, 10.01, true, "web-0"), new(12.831, 15.84, false, "exit 124"), new(16.1, 16.11, true, "web-1")];

        ServiceOutageCheck.Run(new ServiceProbeResult("agent-0", "probe-1", calls), [new(12.84, "fault", "kill server-0")], TimeSpan.FromSeconds(25)).Passed.Should().BeTrue();
        ServiceOutageCheck.Run(new ServiceProbeResult("agent-0", "probe-1", calls), [new(15.9, "fault", "kill server-0")], TimeSpan.FromSeconds(25)).Passed.Should().BeFalse("the call had ended before that fault");
    }

    [Fact]
    public void Check_CallsBeforeTheFirstAnswer_AreNotCounted()
    {
        var calls = Calls(0, 30, t => t >= 2);

        var result = ServiceOutageCheck.Run(new ServiceProbeResult("agent-0", "probe-1", calls), [], TimeSpan.FromSeconds(5));

        result.Passed.Should().BeTrue(string.Join("; ", result.Details));
        result.Summary.Should().EndWith("; 4 call(s) while the web pods started not counted");
        ServiceOutageCheck.Run(new ServiceProbeResult("agent-0", "probe-1", Calls(0, 3, _ => false)), [], TimeSpan.FromSeconds(5)).Summary.Should().Be("none of the Service probe's 6 calls was answered");
        ServiceOutageCheck.Run(null, [], TimeSpan.FromSeconds(5)).Passed.Should().BeFalse();
    }
}
