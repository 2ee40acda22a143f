using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Admission;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.Server;

/// <summary>
/// The <c>local-path</c> StorageClass k3s's local-storage manifest creates: the cluster's default class, provisioner
/// <c>rancher.io/local-path</c>, binding at the first consumer, volumes deleted with their claim. The provisioner
/// itself runs in the controller manager (<see cref="Controllers.Storage.LocalPathProvisioner"/>). A server started
/// with <c>--disable local-storage</c> removes the class if it is the servers' own (<see cref="ManagedLabel"/>).
/// </summary>
internal static class LocalStorageClass
{
    public const string Name = "local-path";
    public const string Provisioner = "rancher.io/local-path";

    /// <summary>The label by which the server knows the class is its own.</summary>
    public const string ManagedLabel = "k3s.cattle.io/local-storage";

    private static readonly ResourceKind StorageClasses = new("storage.k8s.io", "storageclasses", false);

    /// <summary>Creates the class when it is missing; a class of that name someone else made, or edited, is left alone.</summary>
    public static async Task EnsureAsync(ObjectStorage storage, TimeProvider time, CancellationToken ct)
    {
        var metadata = new JsonObject
        {
            ["name"] = Name,
            ["labels"] = new JsonObject { [ManagedLabel] = "true" },
            ["annotations"] = new JsonObject { [DefaultStorageClass.Annotation] = "true" },
        };
        ObjectDefaults.PrepareCreate(metadata, time.GetUtcNow(), hasSpec: false);
        var storageClass = new JsonObject
        {
            ["kind"] = "StorageClass",
            ["apiVersion"] = "storage.k8s.io/v1",
            ["metadata"] = metadata,
            ["provisioner"] = Provisioner,
            ["reclaimPolicy"] = "Delete",
            ["volumeBindingMode"] = "WaitForFirstConsumer",
        };
        try
        {
            await storage.CreateAsync(StorageClasses, string.Empty, Name, storageClass, ct);
        }
        catch (ApiStatusException e) when (e.Code == 409)
        {
        }
    }

    /// <summary>Deletes the class when it is the servers' own.</summary>
    public static async Task RemoveAsync(ObjectStorage storage, CancellationToken ct)
    {
        try
        {
            var current = await storage.GetAsync(StorageClasses, string.Empty, Name, ct);
            if (current.Object["metadata"]?["labels"]?[ManagedLabel] is not null)
            {
                await storage.DeleteAsync(StorageClasses, string.Empty, Name, current.ResourceVersion, ct);
            }
        }
        catch (ApiStatusException e) when (e.Code is 404 or 409)
        {
        }
    }
}
