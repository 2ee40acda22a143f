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
        filter.Filter("etcd-2", 1.0, 2, "etcd-0").Should().Be(2);
        filter.Filter("etcd-2", 2.0, 2, null).Should().Be(2, "no leader: nothing to attribute");
        filter.Filter("etcd-2", 3.0, 2, "etcd-1").Should().BeNull("the leader changed but the applied term did not: it is stale");
        filter.Filter("etcd-2", 4.0, 2, "etcd-1").Should().BeNull();
        filter.Filter("etcd-2", 5.0, 3, "etcd-1").Should().Be(3);
        filter.Filter("etcd-2", 6.0, 3, "etcd-1").Should().Be(3);
        filter.Filter("etcd-1", 1.0, 2, "etcd-0").Should().Be(2, "each member has its own history");
    }

    [Fact]
    public void Filter_AnswerOvertakenByANewerOne_IsWithheld_AndLeavesTheNewerStanding()
    {
        // The CI run: two polls of etcd-1 overlapped. The one taken at 8.161 s (term 3, etcd-2 leads) was judged before
        // the one taken at 7.884 s (term 2, etcd-0 still named). That late answer used to mark etcd-1 stale for all of
        // term 3, so no majority agreed on etcd-2 until the killed member came back 17 s later.
        var filter = new AppliedTermFilter();
        filter.Filter("etcd-1", 6.736, 2, "etcd-0").Should().Be(2);
        filter.Filter("etcd-1", 8.161, 3, "etcd-2").Should().Be(3);

        filter.Filter("etcd-1", 7.884, 2, "etcd-0").Should().BeNull("it was taken before an answer already judged");
        filter.Filter("etcd-1", 8.898, 3, "etcd-2").Should().Be(3, "the late answer changed nothing");
        filter.Filter("etcd-1", 9.355, 3, "etcd-2").Should().Be(3);
    }

    [Fact]
    public void OneLeaderPerTerm_OnFilteredAnswers_PassesTheElectionButStillCatchesARealSplit()
    {
        var filter = new AppliedTermFilter();
        MemberObservation Seen(double at, string node, long term, string leader) => new(at, node, filter.Filter(node, at, term, leader), leader, 10);

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
