using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Extensions;

/// <summary>
/// The create and update rules of the apiextensions layer, after the body is decoded: a CustomResourceDefinition
/// is defaulted and validated; a custom resource is validated against its version's schema. Either refusal is
/// kube-apiserver's 422 <c>Invalid</c> with field paths.
/// </summary>
internal static class ExtensionRules
{
    public static bool IsDefinition(ApiResource resource) => resource is { Group: CrdResources.Group, Name: "customresourcedefinitions" };

    public static void Check(ApiResource resource, JsonObject body)
    {
        IReadOnlyList<StatusCause> causes = [];
        if (IsDefinition(resource))
        {
            CrdResources.ApplyDefaults(body);
            causes = CrdResources.Validate(body);
        }
        else if (resource.Custom?.Schema is { } schema)
        {
            causes = StructuralSchema.Validate(body, schema);
        }

        if (causes.Count > 0)
        {
            throw ApiErrors.Invalid(resource.Group, resource.Kind, body["metadata"]?["name"]?.GetValue<string>() ?? string.Empty, causes);
        }
    }
}
