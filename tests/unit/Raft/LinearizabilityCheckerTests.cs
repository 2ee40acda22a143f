using K3sLab.Scenarios.Checkers;

namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class LinearizabilityCheckerTests
{
    private const long Never = KvOperation.Unknown;

    private static KvOperation Put(string v, long call, long ret, long rev = 0) => KvOperation.Put("k", v, call, ret, rev);
    private static KvOperation Get(string? v, long call, long ret, long rev = 0) => KvOperation.Get("k", v, call, ret, rev);

    private static LinearizabilityOutcome Check(params KvOperation[] history) => LinearizabilityChecker.Check(history).Outcome;

    [Fact]
    public void Check_SequentialReadSeesLastWrite_Ok()
    {
        Check(Put("a", 0, 1, 1), Put("b", 2, 3, 2), Get("b", 4, 5, 2)).Should().Be(LinearizabilityOutcome.Ok);
    }

    [Fact]
    public void Check_StaleReadAfterWriteReturned_Illegal()
    {
        Check(Put("a", 0, 1), Put("b", 2, 3), Get("a", 4, 5)).Should().Be(LinearizabilityOutcome.Illegal);
    }

    [Fact]
    public void Check_ReadConcurrentWithWrite_EitherValueOk()
    {
        Check(Put("a", 0, 1), Put("b", 2, 6), Get("a", 3, 4), Get("b", 5, 7)).Should().Be(LinearizabilityOutcome.Ok);
    }

    [Fact]
    public void Check_ReadsFlipBackToOldValue_Illegal()
    {
        Check(Put("a", 0, 1), Put("b", 2, 10), Get("b", 3, 4), Get("a", 5, 6)).Should().Be(LinearizabilityOutcome.Illegal);
    }

    [Fact]
    public void Check_IndeterminateWriteObservedOrNot_BothOk()
    {
        Check(Put("a", 0, 1), Put("b", 2, Never), Get("a", 3, 4)).Should().Be(LinearizabilityOutcome.Ok);
        Check(Put("a", 0, 1), Put("b", 2, Never), Get("b", 3, 4)).Should().Be(LinearizabilityOutcome.Ok);
    }

    [Fact]
    public void Check_IndeterminateWriteSeenThenUnseen_Illegal()
    {
        // Once a read saw the timed-out write, it happened; a later read cannot miss it.
        Check(Put("a", 0, 1), Put("b", 2, Never), Get("b", 3, 4), Get("a", 5, 6)).Should().Be(LinearizabilityOutcome.Illegal);
    }

    [Fact]
    public void Check_IndeterminateWriteTakesEffectLate_Ok()
    {
        // A timed-out write may land long after its client gave up.
        Check(Put("a", 0, 1), Put("b", 2, Never), Get("a", 3, 4), Get("a", 5, 6), Get("b", 7, 8)).Should().Be(LinearizabilityOutcome.Ok);
    }

    [Fact]
    public void Check_ReadOfNeverWrittenValue_Illegal()
    {
        Check(Put("a", 0, 1), Get("z", 2, 3)).Should().Be(LinearizabilityOutcome.Illegal);
    }

    [Fact]
    public void Check_ReadSeesWrongModRevision_Illegal()
    {
        Check(Put("a", 0, 1, 5), Get("a", 2, 3, 4)).Should().Be(LinearizabilityOutcome.Illegal);
    }

    [Fact]
    public void Check_RevisionGoesBackwards_Illegal()
    {
        Check(Put("a", 0, 1, 5), Put("b", 2, 3, 3)).Should().Be(LinearizabilityOutcome.Illegal);
    }

    [Fact]
    public void Check_CasSucceedsOnMatchingRevision_Ok()
    {
        Check(Put("a", 0, 1, 3), KvOperation.Cas("k", 3, "b", true, 2, 3, 4), Get("b", 4, 5, 4)).Should().Be(LinearizabilityOutcome.Ok);
    }

    [Fact]
    public void Check_CasSucceedsOnStaleRevision_Illegal()
    {
        Check(Put("a", 0, 1, 3), Put("b", 2, 3, 4), KvOperation.Cas("k", 3, "c", true, 4, 5, 5)).Should().Be(LinearizabilityOutcome.Illegal);
    }

    [Fact]
    public void Check_CasFailsAlthoughRevisionMatched_Illegal()
    {
        Check(Put("a", 0, 1, 3), KvOperation.Cas("k", 3, "b", false, 2, 3)).Should().Be(LinearizabilityOutcome.Illegal);
    }

    [Fact]
    public void Check_IndeterminateCasMayHaveApplied_BothOutcomesOk()
    {
        var cas = KvOperation.Cas("k", 3, "b", false, 2, Never);
        Check(Put("a", 0, 1, 3), cas, Get("b", 4, 5, 7)).Should().Be(LinearizabilityOutcome.Ok);
        Check(Put("a", 0, 1, 3), cas, Get("a", 4, 5, 3)).Should().Be(LinearizabilityOutcome.Ok);
    }

    [Fact]
    public void Check_KeysAreIndependent_ViolationNamesTheKey()
    {
        var result = LinearizabilityChecker.Check([KvOperation.Put("x", "1", 0, 1), KvOperation.Put("y", "1", 0, 1), KvOperation.Get("y", "2", 2, 3)]);
        result.Outcome.Should().Be(LinearizabilityOutcome.Illegal);
        result.Key.Should().Be("y");
    }

    [Fact]
    public void Check_TinyBudgetOnConcurrentHistory_Unknown()
    {
        var ops = Enumerable.Range(0, 12).Select(i => Put($"v{i}", i, 100 + i)).Append(Get("nope", 200, 201)).ToArray();
        LinearizabilityChecker.Check(ops, budgetPerKey: 50).Outcome.Should().Be(LinearizabilityOutcome.Unknown);
    }

    [Fact]
    public void Check_ManyConcurrentEqualWrites_MemoizationDecidesQuickly()
    {
        // 16 overlapping writes of one value, then a read of another: 16! orders, but only 2^16 distinct states.
        var ops = Enumerable.Range(0, 16).Select(i => Put("a", i, 100 + i)).Append(Get("b", 200, 201)).ToArray();
        var result = LinearizabilityChecker.Check(ops);
        result.Outcome.Should().Be(LinearizabilityOutcome.Illegal);
        result.Steps.Should().BeLessThan(1L << 17);
    }

    [Fact]
    public void Check_ManyUnansweredCasesThatCannotApply_DecideWithinTheBudget()
    {
        // A power loss under load: 24 create-if-absent CASes get no answer while the key exists. None can apply, so
        // each must leave the search as it was, not double the states it explores (2^24 subsets ran out of budget).
        var unanswered = Enumerable.Range(0, 24).Select(i => KvOperation.Cas("k", 0, $"c{i}", true, 10 + i, Never));
        var reads = Enumerable.Range(0, 24).Select(i => Get("a", 40 + (2 * i), 41 + (2 * i), 3));
        KvOperation[] history = [Put("a", 0, 1, 3), .. unanswered, .. reads];

        var ok = LinearizabilityChecker.Check(history);
        ok.Outcome.Should().Be(LinearizabilityOutcome.Ok);
        ok.Steps.Should().BeLessThan(1_000);
        LinearizabilityChecker.Check([.. history, Get("c5", 200, 201)]).Outcome.Should().Be(LinearizabilityOutcome.Illegal);
    }
}
