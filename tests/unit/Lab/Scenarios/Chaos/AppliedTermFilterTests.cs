using K3sLab.Scenarios.Chaos.Checks;
using K3sLab.Scenarios.Chaos.Observers;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Lab.Tests.Scenarios.Chaos;

[Trait("Category", "Unit")]
public sealed class AppliedTermFilterTests
{
    [Fact]
    public void Filter_NewLeaderNamedWithTheOldAppliedTerm_WithholdsTheTermUntilItRises()
    {
        var filter = new AppliedTermFilter();

        // What etcd-2 answered in a real run: etcd-0 led term 2 and was killed; etcd-1 won term 3.
        filter.Filter("etcd-2", 2, "etcd-0").Should().Be(2);
        filter.Filter("etcd-2", 2, null).Should().Be(2, "no leader: nothing to attribute");
        filter.Filter("etcd-2", 2, "etcd-1").Should().BeNull("the leader changed but the applied term did not: it is stale");
        filter.Filter("etcd-2", 2, "etcd-1").Should().BeNull();
        filter.Filter("etcd-2", 3, "etcd-1").Should().Be(3);
        filter.Filter("etcd-2", 3, "etcd-1").Should().Be(3);
        filter.Filter("etcd-1", 2, "etcd-0").Should().Be(2, "each member has its own history");
    }

    [Fact]
    public void OneLeaderPerTerm_OnFilteredAnswers_PassesTheElectionButStillCatchesARealSplit()
    {
        var filter = new AppliedTermFilter();
        MemberObservation Seen(double at, string node, long term, string leader) => new(at, node, filter.Filter(node, term, leader), leader, 10);

        var election = new[]
        {
            Seen(0.1, "etcd-1", 2, "etcd-0"), Seen(0.1, "etcd-2", 2, "etcd-0"),
            Seen(7.1, "etcd-1", 3, "etcd-1"), Seen(7.2, "etcd-2", 2, "etcd-1"), Seen(8.1, "etcd-2", 3, "etcd-1"),
        };
        OneLeaderPerTermCheck.Run(election).Passed.Should().BeTrue();

        var split = new[] { Seen(9.0, "etcd-1", 4, "etcd-1"), Seen(9.0, "etcd-2", 4, "etcd-2") };
        OneLeaderPerTermCheck.Run([.. election, .. split]).Passed.Should().BeFalse("two members that each moved to term 4 name different leaders");
    }
}
