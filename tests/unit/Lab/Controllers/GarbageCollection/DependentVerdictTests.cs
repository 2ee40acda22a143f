using K3sLab.K3s.Controllers.GarbageCollection;
using static K3sLab.Lab.Tests.Controllers.GarbageCollection.GcJson;

namespace K3sLab.Lab.Tests.Controllers.GarbageCollection;

[Trait("Category", "Unit")]
public sealed class DependentVerdictTests
{
    private static DependentVerdict Decide(params (string Uid, OwnerState State)[] owners) =>
        DependentVerdict.Decide(Object("d", [.. owners.Select(o => Ref(o.Uid))]), owners, hasDependents: false, aDependentWaits: false);

    [Fact]
    public void Decide_NoOwners_Nothing()
    {
        DependentVerdict.Decide(Object("d"), [], false, false).Action.Should().Be(DependentAction.None);
    }

    [Fact]
    public void Decide_AllOwnersAbsent_DeletesInTheBackground()
    {
        var verdict = Decide(("a", OwnerState.Absent), ("b", OwnerState.Absent));

        verdict.Action.Should().Be(DependentAction.Delete);
        verdict.Policy.Should().Be("Background");
    }

    [Fact]
    public void Decide_OwnersAbsentAndItemOrphans_DeletesWithItsOwnPolicy()
    {
        var item = Object("d", [Ref("a")], finalizers: ["orphan"]);

        DependentVerdict.Decide(item, [("a", OwnerState.Absent)], true, false).Policy.Should().Be("Orphan");
    }

    [Fact]
    public void Decide_OneSolidOwner_DropsTheAbsentAndWaitingOwnersOnly()
    {
        var verdict = Decide(("a", OwnerState.Absent), ("b", OwnerState.Solid), ("c", OwnerState.WaitingForDependents));

        verdict.Action.Should().Be(DependentAction.RemoveOwners);
        verdict.OwnerUids.Should().BeEquivalentTo(["a", "c"]);
    }

    [Fact]
    public void Decide_AllOwnersSolid_Nothing()
    {
        Decide(("a", OwnerState.Solid), ("b", OwnerState.Solid)).Action.Should().Be(DependentAction.None);
    }

    [Fact]
    public void Decide_OwnerWaitingForDependents_DeletesForegroundOnlyWhenItHasDependents()
    {
        var item = Object("d", [Ref("a")]);

        Decide(("a", OwnerState.WaitingForDependents)).Policy.Should().Be("Background");
        DependentVerdict.Decide(item, [("a", OwnerState.WaitingForDependents)], true, false)
            .Should().Be(new DependentVerdict(DependentAction.Delete, "Foreground"));
    }

    [Fact]
    public void Decide_ForegroundCycle_UnblocksThenDeletes()
    {
        // a owns d and d owns a; a is being deleted in the foreground and waits for d, d would wait for a.
        var item = Object("d", [Ref("a")]);

        DependentVerdict.Decide(item, [("a", OwnerState.WaitingForDependents)], hasDependents: true, aDependentWaits: true)
            .Action.Should().Be(DependentAction.UnblockThenDelete);
    }

    [Fact]
    public void Decide_UnresolvableOwner_LeavesItEvenWhenOthersAreGone()
    {
        var verdict = Decide(("a", OwnerState.Absent), ("x", OwnerState.Unresolvable));

        verdict.Action.Should().Be(DependentAction.Leave);
        verdict.Why.Should().NotBeEmpty();
    }

    [Fact]
    public void Decide_ItemAlreadyBeingDeleted_Nothing()
    {
        DependentVerdict.Decide(Object("d", [Ref("a")], deleting: true), [("a", OwnerState.Absent)], false, false).Action.Should().Be(DependentAction.None);
    }
}
