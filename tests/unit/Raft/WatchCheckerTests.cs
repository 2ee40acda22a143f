using K3sLab.Scenarios.Checkers;

namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class WatchCheckerTests
{
    // r1: a=1; r2: b=1 and c=1 (one transaction); r3: a=2; r4: b=2
    private static readonly WatchEvent A1 = new(1, "a", "1");
    private static readonly WatchEvent B1 = new(2, "b", "1");
    private static readonly WatchEvent C1 = new(2, "c", "1");
    private static readonly WatchEvent A2 = new(3, "a", "2");
    private static readonly WatchEvent B2 = new(4, "b", "2");
    private static readonly WatchEvent[] History = [A1, B1, C1, A2, B2];

    private static IReadOnlyList<WatchViolation> Check(params WatchStreamItem[] stream) =>
        WatchChecker.Check(History, new Dictionary<string, IReadOnlyList<WatchStreamItem>> { ["w"] = stream });

    private static WatchStreamItem Start(long r) => WatchStreamItem.Start(r);
    private static WatchStreamItem Events(params WatchEvent[] e) => WatchStreamItem.Response(e);
    private static WatchStreamItem Progress(long r) => WatchStreamItem.Progress(r);

    [Fact]
    public void Check_FullHistoryWithResumeAndProgress_NoViolation()
    {
        Check(Start(1), Events(A1), Events(B1, C1), Progress(2), Start(3), Events(A2, B2), Progress(4)).Should().BeEmpty();
    }

    [Fact]
    public void Check_EventsOutOfOrder_Ordered()
    {
        Check(Start(1), Events(A1), Events(A2), Events(B1, C1)).Select(v => v.Guarantee).Should().Contain(WatchGuarantee.Ordered);
    }

    [Fact]
    public void Check_TransactionEventsSwapped_Ordered()
    {
        Check(Start(2), Events(C1, B1)).Select(v => v.Guarantee).Should().Contain(WatchGuarantee.Ordered);
    }

    [Fact]
    public void Check_EventDeliveredTwice_Unique()
    {
        Check(Start(1), Events(A1), Events(A1), Events(B1, C1)).Select(v => v.Guarantee).Should().Contain(WatchGuarantee.Unique);
    }

    [Fact]
    public void Check_RevisionSplitAcrossResponses_Atomic()
    {
        Check(Start(2), Events(B1), Events(C1)).Select(v => v.Guarantee).Should().Equal(WatchGuarantee.Atomic);
    }

    [Fact]
    public void Check_GapInTheMiddle_Reliable()
    {
        Check(Start(1), Events(A1), Events(A2)).Select(v => v.Guarantee).Should().Equal(WatchGuarantee.Reliable);
    }

    [Fact]
    public void Check_EventNotInHistory_Reliable()
    {
        Check(Start(1), Events(A1, new WatchEvent(2, "b", "9"))).Select(v => v.Guarantee).Should().Contain(WatchGuarantee.Reliable);
    }

    [Fact]
    public void Check_ResumedWatchStartsLate_Resumable()
    {
        Check(Start(1), Events(A1), Start(2), Events(A2)).Select(v => v.Guarantee).Should().Equal(WatchGuarantee.Resumable);
    }

    [Fact]
    public void Check_ResumedWatchStartsEarly_Resumable()
    {
        Check(Start(3), Events(B1, C1)).Select(v => v.Guarantee).Should().Contain(WatchGuarantee.Resumable);
    }

    [Fact]
    public void Check_EventAtOrBelowProgressMark_Bookmarkable()
    {
        Check(Start(3), Progress(3), Events(A2)).Select(v => v.Guarantee).Should().Contain(WatchGuarantee.Bookmarkable);
    }

    [Fact]
    public void Check_ProgressMarkBeforeEventsItCovers_Bookmarkable()
    {
        Check(Start(1), Events(A1), Progress(3)).Select(v => v.Guarantee).Should().Equal(WatchGuarantee.Bookmarkable);
    }

    [Fact]
    public void Check_WatchFromTheFutureReceivesNothingYet_NoViolation()
    {
        Check(Start(9), Progress(4)).Should().BeEmpty();
    }
}
