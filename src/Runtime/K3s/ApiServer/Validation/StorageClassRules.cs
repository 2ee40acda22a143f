using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// kube's <c>ValidateStorageClass</c> and <c>ValidateStorageClassUpdate</c>, for what a user can get wrong: a
/// provisioner is required; the reclaim policy is Delete or Retain and the binding mode Immediate or
/// WaitForFirstConsumer (both defaulted before this runs); parameters, provisioner, reclaim policy and binding mode
/// cannot change once created.
/// </summary>
internal static class StorageClassRules
{
    public static void Check(JsonObject storageClass, JsonObject? old, FieldErrorList errors)
    {
        if (storageClass.Str("provisioner") is not { Length: > 0 })
        {
            errors.Required("provisioner");
        }

        if (storageClass.Str("reclaimPolicy") is { } reclaim && reclaim is not ("Delete" or "Retain"))
        {
            errors.NotSupported("reclaimPolicy", reclaim, "Delete", "Retain");
        }

        if (storageClass.Str("volumeBindingMode") is { } mode && mode is not ("Immediate" or "WaitForFirstConsumer"))
        {
            errors.NotSupported("volumeBindingMode", mode, "Immediate", "WaitForFirstConsumer");
        }

        if (old is null)
        {
            return;
        }

        if (!JsonNode.DeepEquals(storageClass["parameters"] is JsonObject { Count: > 0 } p ? p : null, old["parameters"] is JsonObject { Count: > 0 } q ? q : null))
        {
            errors.Forbidden("parameters", "updates to parameters are forbidden.");
        }

        if (storageClass.Str("provisioner") != old.Str("provisioner"))
        {
            errors.Forbidden("provisioner", "updates to provisioner are forbidden.");
        }

        if (storageClass.Str("reclaimPolicy") != old.Str("reclaimPolicy"))
        {
            errors.Forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden.");
        }

        if (storageClass.Str("volumeBindingMode") != old.Str("volumeBindingMode"))
        {
            errors.Forbidden("volumeBindingMode", "field is immutable");
        }
    }
}
