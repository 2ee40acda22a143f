using K3sLab.K3s.Replication.Host;

namespace K3sLab.Lab.Tests.Replication.Host;

/// <summary>The snapshot writer's thread runs in the idle scheduling class, and only that thread does.</summary>
public sealed class BackgroundPriorityTests
{
    [Fact]
    public void LowerCurrentThread_PutsThatThreadInTheIdleClass_AndNoOtherThread()
    {
        var before = Policy();
        var lowered = false;
        var policy = int.MinValue;
        var thread = new Thread(() =>
        {
            lowered = BackgroundPriority.LowerCurrentThread();
            policy = Policy();
        });
        thread.Start();
        thread.Join();

        lowered.Should().BeTrue();
        policy.Should().Be(BackgroundPriority.IdlePolicy);
        before.Should().Be(0, "the test runs as an ordinary (SCHED_OTHER) thread");
        Policy().Should().Be(before, "the policy is per thread on Linux; the caller's own is unchanged");
    }

    /// <summary>Field 41 of /proc/thread-self/stat (the scheduling policy), counted after the command name's closing parenthesis.</summary>
    private static int Policy()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[41 - 3], System.Globalization.CultureInfo.InvariantCulture);
    }
}
