using System.Text.Json;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Protobuf;

namespace K3sLab.K3s.ApiServer.Http;

/// <summary>Reads a request body that holds one object, in JSON or in Kubernetes' protobuf encoding.</summary>
internal static class ObjectBody
{
    public static async Task<JsonObject> ReadAsync(HttpContext context)
    {
        var media = (context.Request.ContentType ?? "application/json").Split(';')[0].Trim();
        if (media == ProtobufBody.MediaType)
        {
            return await ProtobufBody.ReadAsync(context.Request.Body, context.RequestAborted);
        }

        if (media != "application/json")
        {
            throw ApiErrors.UnsupportedMediaType(media);
        }

        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject
                ?? throw ApiErrors.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiErrors.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
    }
}
