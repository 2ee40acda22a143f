using K3sLab.Scenarios.Simulation;

namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class NetworkPartitionTests
{
    private static HashSet<ulong> Hears(SimulatedNetwork net, ulong member, int n) =>
        [.. Enumerable.Range(1, n).Select(i => (ulong)i).Where(from => from == member || !net.IsCut(from, member))];

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Apply_MajoritiesRing_EachMemberHearsADifferentMajority(int n)
    {
        var net = new SimulatedNetwork(n, new Random(1));
        NetworkPartition.Apply(net, PartitionKind.MajoritiesRing, n, 0, new Random(7));
        var views = Enumerable.Range(1, n).Select(m => Hears(net, (ulong)m, n)).ToList();
        views.Should().OnlyContain(v => v.Count == n / 2 + 1);
        views.Select(v => string.Join(",", v.Order())).Distinct().Should().HaveCount(n);
    }

    [Fact]
    public void Apply_Asymmetric_VictimStillHearsOthers()
    {
        var net = new SimulatedNetwork(3, new Random(1));
        NetworkPartition.Apply(net, PartitionKind.Asymmetric, 3, 0, new Random(2));
        var cuts = (from a in Enumerable.Range(1, 3) from b in Enumerable.Range(1, 3) where a != b && net.IsCut((ulong)a, (ulong)b) select (a, b)).ToList();
        cuts.Should().NotBeEmpty();
        cuts.Should().OnlyContain(c => !net.IsCut((ulong)c.b, (ulong)c.a), "one way only");
    }

    [Fact]
    public void Apply_IsolateLeader_CutsTheLeaderBothWays()
    {
        var net = new SimulatedNetwork(5, new Random(1));
        NetworkPartition.Apply(net, PartitionKind.IsolateLeader, 5, 4, new Random(2));
        Enumerable.Range(1, 5).Where(i => i != 4).Should().OnlyContain(i => net.IsCut(4, (ulong)i) && net.IsCut((ulong)i, 4));
        net.IsCut(1, 2).Should().BeFalse();
    }

    [Fact]
    public void TakeDue_CutAfterSend_DropsInFlightMessage()
    {
        var net = new SimulatedNetwork(2, new Random(1));
        net.Send(new Message(MessageType.Heartbeat, 1, 2, 1), 0);
        net.Cut(1, 2);
        var due = new List<Message>();
        net.TakeDue(10, due);
        due.Should().BeEmpty();
    }
}
