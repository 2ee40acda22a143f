using K3sLab.Scenarios.Checkers;

namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class LinearizabilityCheckerTests
{
    private static KvOperation Put(string v, long call, long ret) => new(KvOperationKind.Put, "k", v, call, ret);
    private static KvOperation Get(string? v, long call, long ret) => new(KvOperationKind.Get, "k", v, call, ret);

    [Fact]
    public void FindViolation_SequentialReadSeesLastWrite_Linearizable()
    {
        LinearizabilityChecker.FindViolation([Put("a", 0, 1), Put("b", 2, 3), Get("b", 4, 5)]).Should().BeNull();
    }

    [Fact]
    public void FindViolation_StaleReadAfterWriteReturned_Violation()
    {
        LinearizabilityChecker.FindViolation([Put("a", 0, 1), Put("b", 2, 3), Get("a", 4, 5)]).Should().Be("k");
    }

    [Fact]
    public void FindViolation_ReadConcurrentWithWrite_EitherValueAccepted()
    {
        LinearizabilityChecker.FindViolation([Put("a", 0, 1), Put("b", 2, 6), Get("a", 3, 4), Get("b", 5, 7)]).Should().BeNull();
    }

    [Fact]
    public void FindViolation_ReadsFlipBackToOldValue_Violation()
    {
        LinearizabilityChecker.FindViolation([Put("a", 0, 1), Put("b", 2, 10), Get("b", 3, 4), Get("a", 5, 6)]).Should().Be("k");
    }

    [Fact]
    public void FindViolation_TimedOutWriteObservedOrNot_BothLinearizable()
    {
        LinearizabilityChecker.FindViolation([Put("a", 0, 1), Put("b", 2, KvOperation.Unknown), Get("a", 3, 4)]).Should().BeNull();
        LinearizabilityChecker.FindViolation([Put("a", 0, 1), Put("b", 2, KvOperation.Unknown), Get("b", 3, 4)]).Should().BeNull();
    }

    [Fact]
    public void FindViolation_ReadOfNeverWrittenValue_Violation()
    {
        LinearizabilityChecker.FindViolation([Put("a", 0, 1), Get("z", 2, 3)]).Should().Be("k");
    }
}
