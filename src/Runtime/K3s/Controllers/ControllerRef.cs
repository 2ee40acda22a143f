using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers;

/// <summary>An object's controller reference (the owner with <c>controller: true</c>), and the one a controller writes.</summary>
internal sealed record ControllerRef(string ApiVersion, string Kind, string Name, string Uid)
{
    /// <summary>The controller reference of <paramref name="obj"/>, or null.</summary>
    public static ControllerRef? Of(JsonObject obj)
    {
        foreach (var (_, item) in obj.Obj("metadata").Arr("ownerReferences").Items())
        {
            if (item.Bool("controller") == true)
            {
                return new ControllerRef(item.Str("apiVersion") ?? string.Empty, item.Str("kind") ?? string.Empty, item.Str("name") ?? string.Empty, item.Str("uid") ?? string.Empty);
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="obj"/> is controlled by the object with <paramref name="ownerUid"/>.</summary>
    public static bool IsControlledBy(JsonObject obj, string ownerUid) => Of(obj)?.Uid == ownerUid && ownerUid.Length > 0;

    /// <summary>The ownerReferences entry a controller puts on what it creates (blockOwnerDeletion as upstream).</summary>
    public static JsonObject For(JsonObject owner, string apiVersion, string kind) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = ObjectKeys.Name(owner),
        ["uid"] = ObjectKeys.Uid(owner),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };
}
