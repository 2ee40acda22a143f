using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.GarbageCollection;

/// <summary>What the collector does for an owner being deleted with one of its finalizers.</summary>
internal enum OwnerAction
{
    None,

    /// <summary>Drop the reference to the owner from each of <see cref="OwnerVerdict.Dependents"/> (<c>orphan</c>).</summary>
    OrphanDependents,

    /// <summary>Re-examine <see cref="OwnerVerdict.Dependents"/>, which the owner waits for (<c>foregroundDeletion</c>).</summary>
    WaitForDependents,

    /// <summary>Remove <see cref="OwnerVerdict.Finalizer"/>: the owner may go.</summary>
    RemoveFinalizer,
}

/// <summary>The collector's decision about an owner being deleted (upstream's <c>orphanFinalizer</c> and <c>processDeletingDependentsItem</c>).</summary>
/// <param name="Action">What to do.</param>
/// <param name="Finalizer">The finalizer concerned: <c>orphan</c> or <c>foregroundDeletion</c>.</param>
/// <param name="Dependents">The dependents to orphan or to re-examine.</param>
internal sealed record OwnerVerdict(OwnerAction Action, string Finalizer = "", IReadOnlyList<JsonObject>? Dependents = null)
{
    public const string Orphan = "orphan";
    public const string Foreground = "foregroundDeletion";

    /// <summary>
    /// Decides for <paramref name="owner"/>, given the objects that reference its uid: nothing unless it is being
    /// deleted; with <c>orphan</c>, strip the reference from every dependent, then remove the finalizer; with
    /// <c>foregroundDeletion</c>, remove the finalizer once no dependent with <c>blockOwnerDeletion: true</c> remains
    /// (dependents being deleted still block), else have every dependent examined (they are deleted, or drop the
    /// reference when they have another owner). <c>orphan</c> is handled first when both are present. Pure.
    /// </summary>
    public static OwnerVerdict Decide(JsonObject owner, IReadOnlyList<JsonObject> dependents)
    {
        if (!ObjectKeys.IsDeleting(owner))
        {
            return new OwnerVerdict(OwnerAction.None);
        }

        var uid = ObjectKeys.Uid(owner);
        var finalizers = owner.Obj("metadata").Arr("finalizers")?.Select(f => f?.GetValue<string>()).ToList() ?? [];
        var referencing = dependents.Where(d => References(d, uid).Any()).ToList();
        if (finalizers.Contains(Orphan))
        {
            return referencing.Count > 0 ? new OwnerVerdict(OwnerAction.OrphanDependents, Orphan, referencing) : new OwnerVerdict(OwnerAction.RemoveFinalizer, Orphan);
        }

        if (finalizers.Contains(Foreground))
        {
            var blocking = referencing.Any(d => References(d, uid).Any(r => r.Bool("blockOwnerDeletion") == true));
            return blocking ? new OwnerVerdict(OwnerAction.WaitForDependents, Foreground, referencing) : new OwnerVerdict(OwnerAction.RemoveFinalizer, Foreground);
        }

        return new OwnerVerdict(OwnerAction.None);
    }

    /// <summary>The ownerReferences of <paramref name="obj"/> to <paramref name="uid"/>.</summary>
    public static IEnumerable<JsonObject> References(JsonObject obj, string uid) =>
        obj.Obj("metadata").Arr("ownerReferences")?.OfType<JsonObject>().Where(r => r.Str("uid") == uid) ?? [];
}
