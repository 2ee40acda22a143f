using K3sLab.K3s.Controllers.GarbageCollection;
using static K3sLab.Lab.Tests.Controllers.GarbageCollection.GcJson;

namespace K3sLab.Lab.Tests.Controllers.GarbageCollection;

[Trait("Category", "Unit")]
public sealed class OwnerVerdictTests
{
    [Fact]
    public void Decide_OwnerNotBeingDeleted_Nothing()
    {
        OwnerVerdict.Decide(Object("o", finalizers: ["orphan"]), [Object("d", [Ref("o")])]).Action.Should().Be(OwnerAction.None);
    }

    [Fact]
    public void Decide_Orphan_StripsReferencingDependentsThenRemovesTheFinalizer()
    {
        var owner = Object("o", finalizers: ["orphan"], deleting: true);
        var dependent = Object("d", [Ref("o")]);

        var first = OwnerVerdict.Decide(owner, [dependent, Object("other", [Ref("x")])]);
        first.Action.Should().Be(OwnerAction.OrphanDependents);
        first.Dependents.Should().ContainSingle().Which.Should().BeSameAs(dependent);

        OwnerVerdict.Decide(owner, [Object("d")]).Should().Be(new OwnerVerdict(OwnerAction.RemoveFinalizer, "orphan"));
    }

    [Fact]
    public void Decide_Foreground_WaitsWhileABlockingDependentRemainsEvenIfTerminating()
    {
        var owner = Object("o", finalizers: ["foregroundDeletion"], deleting: true);

        OwnerVerdict.Decide(owner, [Object("d", [Ref("o")], finalizers: ["hold"], deleting: true)]).Action.Should().Be(OwnerAction.WaitForDependents);
    }

    [Fact]
    public void Decide_Foreground_NonBlockingDependentsDoNotHoldTheOwner()
    {
        var owner = Object("o", finalizers: ["foregroundDeletion", "example.com/other"], deleting: true);

        OwnerVerdict.Decide(owner, [Object("d", [Ref("o", block: false)])]).Should().Be(new OwnerVerdict(OwnerAction.RemoveFinalizer, "foregroundDeletion"));
        OwnerVerdict.Decide(owner, []).Action.Should().Be(OwnerAction.RemoveFinalizer);
    }

    [Fact]
    public void Decide_DeletingWithoutGcFinalizers_Nothing()
    {
        OwnerVerdict.Decide(Object("o", finalizers: ["example.com/other"], deleting: true), [Object("d", [Ref("o")])]).Action.Should().Be(OwnerAction.None);
    }
}
