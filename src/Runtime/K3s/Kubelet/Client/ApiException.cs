using System.Net;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Client;

/// <summary>The API server answered with an error; <see cref="Reason"/> is the Kubernetes <c>Status</c> reason when it sent one.</summary>
internal sealed class ApiException(HttpStatusCode status, string body)
    : Exception($"the API server answered {(int)status}: {Describe(body)}")
{
    public HttpStatusCode Status { get; } = status;

    public string? Reason { get; } = TryParse(body)?["reason"]?.GetValue<string>();

    /// <summary>The message of the Kubernetes <c>Status</c> answered, if the body was one (as client-go reports it).</summary>
    public string? StatusMessage { get; } = TryParse(body) is { } status && status["kind"]?.GetValue<string>() == "Status" ? status["message"]?.GetValue<string>() : null;

    private static string Describe(string body) => TryParse(body)?["message"]?.GetValue<string>() ?? body;

    private static JsonObject? TryParse(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
