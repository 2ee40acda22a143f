using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.GarbageCollection;

/// <summary>What an owner reference points at, as resolved by the collector (by uid: a same-named owner with another uid is <see cref="Absent"/>).</summary>
internal enum OwnerState
{
    /// <summary>The owner exists and is not waiting for its dependents.</summary>
    Solid,

    /// <summary>No object with the owner's uid exists.</summary>
    Absent,

    /// <summary>The owner is being deleted in the foreground (its <c>foregroundDeletion</c> finalizer waits for dependents).</summary>
    WaitingForDependents,

    /// <summary>The owner's kind is not one the collector watches, or the reference is malformed: nothing can be decided.</summary>
    Unresolvable,
}

/// <summary>What the collector does with a dependent.</summary>
internal enum DependentAction
{
    None,

    /// <summary>Delete it with <see cref="DependentVerdict.Policy"/>.</summary>
    Delete,

    /// <summary>Drop the references to <see cref="DependentVerdict.OwnerUids"/> (it keeps a solid owner).</summary>
    RemoveOwners,

    /// <summary>Clear <c>blockOwnerDeletion</c> on its references, then delete it in the foreground (breaks a foreground cycle).</summary>
    UnblockThenDelete,

    /// <summary>Leave it: an owner cannot be resolved (<see cref="DependentVerdict.Why"/>, reported once).</summary>
    Leave,
}

/// <summary>The collector's decision about one dependent; <see cref="Decide"/> is upstream's <c>attemptToDeleteItem</c>.</summary>
/// <param name="Action">What to do.</param>
/// <param name="Policy">The propagation policy of a delete: <c>Background</c>, <c>Foreground</c> or <c>Orphan</c>.</param>
/// <param name="OwnerUids">The owner references to drop, for <see cref="DependentAction.RemoveOwners"/>.</param>
/// <param name="Why">Why the dependent is left, for <see cref="DependentAction.Leave"/>.</param>
internal sealed record DependentVerdict(DependentAction Action, string Policy = "", IReadOnlyList<string>? OwnerUids = null, string Why = "")
{
    public static readonly DependentVerdict Nothing = new(DependentAction.None);

    /// <summary>
    /// Decides for <paramref name="item"/> given its resolved <paramref name="owners"/> (uid, state), whether it has
    /// dependents itself, and whether one of those is itself waiting for its dependents (a foreground cycle):
    /// <list type="bullet">
    /// <item>no owners, or already being deleted: nothing;</item>
    /// <item>an unresolvable owner: leave it (the collector cannot know the owner is gone);</item>
    /// <item>a solid owner: keep it, dropping references to absent owners and to owners waiting for their dependents;</item>
    /// <item>no solid owner but one waiting for dependents: delete it in the foreground when it has dependents of its
    /// own (clearing its <c>blockOwnerDeletion</c> first when one of those waits too, so two owners never wait for each
    /// other), in the background otherwise;</item>
    /// <item>every owner absent: delete it with the policy its own finalizers ask for (<c>orphan</c>, <c>foregroundDeletion</c>), else in the background.</item>
    /// </list>
    /// Pure.
    /// </summary>
    public static DependentVerdict Decide(JsonObject item, IReadOnlyList<(string Uid, OwnerState State)> owners, bool hasDependents, bool aDependentWaits)
    {
        if (owners.Count == 0 || ObjectKeys.IsDeleting(item))
        {
            return Nothing;
        }

        if (owners.Any(o => o.State == OwnerState.Unresolvable))
        {
            return new DependentVerdict(DependentAction.Leave, Why: "an owner reference names a kind the garbage collector does not watch, or has no uid");
        }

        var waiting = owners.Where(o => o.State == OwnerState.WaitingForDependents).ToList();
        if (owners.Any(o => o.State == OwnerState.Solid))
        {
            var drop = owners.Where(o => o.State is OwnerState.Absent or OwnerState.WaitingForDependents).Select(o => o.Uid).Distinct().ToList();
            return drop.Count == 0 ? Nothing : new DependentVerdict(DependentAction.RemoveOwners, OwnerUids: drop);
        }

        if (waiting.Count > 0 && hasDependents)
        {
            return new DependentVerdict(aDependentWaits ? DependentAction.UnblockThenDelete : DependentAction.Delete, "Foreground");
        }

        if (waiting.Count > 0)
        {
            return new DependentVerdict(DependentAction.Delete, "Background");
        }

        var finalizers = item.Obj("metadata").Arr("finalizers")?.Select(f => f?.GetValue<string>()).ToList() ?? [];
        var policy = finalizers.Contains("orphan") ? "Orphan" : finalizers.Contains("foregroundDeletion") ? "Foreground" : "Background";
        return new DependentVerdict(DependentAction.Delete, policy);
    }
}
