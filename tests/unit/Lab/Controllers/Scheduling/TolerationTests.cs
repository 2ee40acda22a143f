using K3sLab.K3s.Controllers.Scheduling;

namespace K3sLab.Lab.Tests.Controllers.Scheduling;

[Trait("Category", "Unit")]
public sealed class TolerationTests
{
    private static readonly Taint Dedicated = new("dedicated", "gpu", Taint.NoSchedule);

    [Theory]
    [InlineData("dedicated", "Equal", "gpu", "NoSchedule", true)]
    [InlineData("dedicated", "", "gpu", "NoSchedule", true)]
    [InlineData("dedicated", "Equal", "cpu", "NoSchedule", false)]
    [InlineData("dedicated", "Exists", "", "NoSchedule", true)]
    [InlineData("dedicated", "Exists", "", "", true)]
    [InlineData("dedicated", "Exists", "", "NoExecute", false)]
    [InlineData("other", "Exists", "", "", false)]
    [InlineData("", "Exists", "", "", true)]
    [InlineData("", "Exists", "", "NoExecute", false)]
    [InlineData("dedicated", "Equal", "gpu", "", true)]
    [InlineData("dedicated", "Gt", "gpu", "NoSchedule", false)]
    public void Tolerates_OperatorKeyValueAndEffect_MatchUpstream(string key, string op, string value, string effect, bool expected)
    {
        new Toleration(key, op, value, effect).Tolerates(Dedicated).Should().Be(expected);
    }

    [Fact]
    public void FirstUntolerated_PreferNoScheduleTaint_IsIgnoredByTheFilter()
    {
        var taints = new[] { new Taint("soft", string.Empty, Taint.PreferNoSchedule), new Taint("hard", "x", Taint.NoExecute) };

        Toleration.FirstUntolerated(taints, [], Taint.NoSchedule, Taint.NoExecute).Should().Be(taints[1]);
        Toleration.FirstUntolerated(taints, [new Toleration("hard", "Exists", string.Empty, string.Empty)], Taint.NoSchedule, Taint.NoExecute).Should().BeNull();
    }

    [Fact]
    public void CountUntoleratedPreferNoSchedule_TolerationWithOtherEffect_DoesNotCount()
    {
        var taints = new[] { new Taint("soft", string.Empty, Taint.PreferNoSchedule), new Taint("soft2", string.Empty, Taint.PreferNoSchedule) };

        Toleration.CountUntoleratedPreferNoSchedule(taints, [new Toleration("soft", "Exists", string.Empty, Taint.NoSchedule)]).Should().Be(2);
        Toleration.CountUntoleratedPreferNoSchedule(taints, [new Toleration("soft", "Exists", string.Empty, string.Empty)]).Should().Be(1);
    }

    [Fact]
    public void Describe_EmptyValue_PrintsAsKubeScheduler()
    {
        new Taint("node.kubernetes.io/unreachable", string.Empty, Taint.NoExecute).Describe().Should().Be("{node.kubernetes.io/unreachable: }");
        Dedicated.Describe().Should().Be("{dedicated: gpu}");
    }
}
