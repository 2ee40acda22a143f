using K3sLab.K3s.Kubelet;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class CrashLoopBackOffTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Exited_Repeatedly_RestartsAtOnceFirst_ThenDoublesFrom10sUpTo5m()
    {
        var backOff = new CrashLoopBackOff();
        var now = T0;
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 9; i++)
        {
            delays.Add(backOff.Exited(now, now.AddSeconds(1)));
            now = backOff.NotBefore;
        }

        delays.Select(d => (int)d.TotalSeconds).Should().Equal(0, 10, 20, 40, 80, 160, 300, 300, 300);
    }

    [Fact]
    public void Exited_AfterRunningTenMinutes_RestartsAtOnce_ThenStartsOverAt10s()
    {
        var backOff = new CrashLoopBackOff();
        backOff.Exited(T0, T0.AddSeconds(1)).Should().Be(TimeSpan.Zero);
        backOff.Exited(T0.AddSeconds(2), T0.AddSeconds(3)).Should().Be(TimeSpan.FromSeconds(10));
        backOff.Exited(T0.AddSeconds(13), T0.AddSeconds(14)).Should().Be(TimeSpan.FromSeconds(20));

        backOff.Exited(T0.AddMinutes(1), T0.AddMinutes(11)).Should().Be(TimeSpan.Zero);
        backOff.Exited(T0.AddMinutes(11), T0.AddMinutes(11).AddSeconds(1)).Should().Be(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void IsBackingOff_UntilNotBefore()
    {
        var backOff = new CrashLoopBackOff();
        backOff.Exited(T0, T0);
        backOff.IsBackingOff(T0).Should().BeFalse("the first restart is at once");
        backOff.Exited(T0, T0.AddSeconds(2));

        backOff.IsBackingOff(T0.AddSeconds(11)).Should().BeTrue();
        backOff.IsBackingOff(T0.AddSeconds(12)).Should().BeFalse();
        backOff.Message("app", "web", "default", "u1").Should().Be("back-off 10s restarting failed container=app pod=web_default(u1)");
    }

    [Fact]
    public void Message_UsesKubeletDurationFormat()
    {
        var backOff = new CrashLoopBackOff();
        var now = T0;
        for (var i = 0; i < 7; i++)
        {
            backOff.Exited(now, now);
            now = backOff.NotBefore;
        }

        backOff.Message("c", "p", "n", "u").Should().StartWith("back-off 5m0s ");
    }

    [Theory]
    [InlineData("Always", 0, true)]
    [InlineData("Always", 1, true)]
    [InlineData("OnFailure", 0, false)]
    [InlineData("OnFailure", 137, true)]
    [InlineData("Never", 1, false)]
    public void ShouldRestart_FollowsRestartPolicy(string policy, int exitCode, bool restart)
    {
        RestartDecision.ShouldRestart(policy, exitCode).Should().Be(restart);
    }

    [Fact]
    public void FinalPhase_SucceededOnlyWhenEveryContainerExitedZero()
    {
        RestartDecision.FinalPhase([0, 0]).Should().Be("Succeeded");
        RestartDecision.FinalPhase([0, 2]).Should().Be("Failed");
    }
}
