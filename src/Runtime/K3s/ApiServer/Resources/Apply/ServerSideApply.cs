using System.Text.Json;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Resources.Apply;

/// <summary>Reading an apply request's body. kubectl and client-go send JSON (which is YAML); other YAML is refused with a 415 that says so.</summary>
internal static class ServerSideApply
{
    public const string MediaType = "application/apply-patch+yaml";

    public static async Task<JsonObject> ReadAsync(Stream body, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(body, cancellationToken: ct) as JsonObject
                ?? throw ApiErrors.BadRequest("an apply request's body must be an object");
        }
        catch (JsonException)
        {
            throw new ApiStatusException(415, "UnsupportedMediaType", "this server reads apply requests written as JSON (as kubectl and client-go send them); YAML other than JSON is not supported");
        }
    }
}
