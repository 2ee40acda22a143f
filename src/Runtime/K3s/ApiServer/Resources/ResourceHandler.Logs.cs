using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// <c>GET /api/v1/namespaces/{ns}/pods/{name}/log</c>, as kube-apiserver's pod log REST serves it: validate the
/// <c>PodLogOptions</c> (422 <c>PodLogOptions "name" is invalid</c>), choose the container (the only one, else a 400
/// naming the choices), find the pod's node and its kubelet address (InternalIP, ExternalIP, then Hostname; the
/// port from <c>daemonEndpoints</c>), and stream the kubelet's <c>/containerLogs</c> answer back as
/// <c>text/plain</c>, flushed as it comes when following. A pod not yet on a node has an empty log. The kubelet's
/// errors come back as kube-apiserver's response checker words them; an unreachable kubelet is a 500 with Go's
/// <c>Get "url": reason</c>.
/// </summary>
internal sealed partial class ResourceHandler
{
    private static readonly ResourceKind NodesKind = new(string.Empty, "nodes", false);
    private static readonly string[] AddressPreference = ["InternalIP", "ExternalIP", "Hostname"];

    /// <summary>Serves <c>pods/log</c>; the caller has authorized <c>get</c> on it.</summary>
    public async Task LogAsync(HttpContext context, RequestInfo info, CancellationToken ct)
    {
        if (info.Verb != "get")
        {
            throw ApiErrors.MethodNotSupported(string.Empty, "pods/log", info.Verb);
        }

        var query = context.Request.Query;
        var parameters = new List<(string Key, string Value)>();
        var causes = new List<StatusCause>();
        foreach (var flag in new[] { "follow", "previous", "timestamps" })
        {
            if (query[flag].LastOrDefault() is { Length: > 0 } text)
            {
                if (!bool.TryParse(text, out var on) && text is not ("1" or "0" or "t" or "f" or "T" or "F"))
                {
                    throw ApiErrors.BadRequest($"strconv.ParseBool: parsing \"{text}\": invalid syntax");
                }

                if (on || RequestInfo.IsTrue(text))
                {
                    parameters.Add((flag, "true"));
                }
            }
        }

        var sinceSeconds = Long(query["sinceSeconds"].LastOrDefault());
        var tailLines = Long(query["tailLines"].LastOrDefault());
        var limitBytes = Long(query["limitBytes"].LastOrDefault());
        DateTimeOffset? sinceTime = null;
        if (query["sinceTime"].LastOrDefault() is { Length: > 0 } sinceText)
        {
            sinceTime = Kubelet.Logs.CriLogLine.TryParseTime(sinceText, out var parsed) ? parsed
                : throw ApiErrors.BadRequest($"parsing time \"{sinceText}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"{sinceText}\" as RFC 3339");
        }

        if (tailLines < 0)
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {tailLines}: must be greater than or equal to 0", "tailLines"));
        }

        if (limitBytes < 1)
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {limitBytes}: must be greater than 0", "limitBytes"));
        }

        if (sinceSeconds is not null && sinceTime is not null)
        {
            causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified", string.Empty));
        }
        else if (sinceSeconds < 1)
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {sinceSeconds}: must be greater than 0", "sinceSeconds"));
        }

        if (causes.Count > 0)
        {
            throw ApiErrors.Invalid(string.Empty, "PodLogOptions", info.Name, causes);
        }

        var pod = (await storage.GetAsync(Pods, info.Namespace, info.Name, ct)).Object;
        var container = ChooseContainer(pod, info.Name, query["container"].LastOrDefault());
        if (sinceSeconds is { } s)
        {
            parameters.Add(("sinceSeconds", s.ToString(CultureInfo.InvariantCulture)));
        }

        if (sinceTime is { } t)
        {
            parameters.Add(("sinceTime", t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)));
        }

        if (tailLines is { } tail)
        {
            parameters.Add(("tailLines", tail.ToString(CultureInfo.InvariantCulture)));
        }

        if (limitBytes is { } limit)
        {
            parameters.Add(("limitBytes", limit.ToString(CultureInfo.InvariantCulture)));
        }

        context.Response.ContentType = "text/plain";
        if (pod["spec"]?["nodeName"]?.GetValue<string>() is not { Length: > 0 } nodeName)
        {
            // kube-apiserver has no location for an unscheduled pod and answers with an empty stream.
            return;
        }

        if (kubelets is null)
        {
            throw ApiErrors.ServiceUnavailable("this server has no kubelet client");
        }

        var node = (await storage.GetAsync(NodesKind, string.Empty, nodeName, ct)).Object;
        if (IsHollow(node))
        {
            // A hollow container writes nothing: its log is empty, as kubemark's fake runtime's is.
            return;
        }

        var url = new UriBuilder("https", KubeletHost(node, nodeName), KubeletPort(node))
        {
            Path = $"/containerLogs/{info.Namespace}/{info.Name}/{container}",
            Query = string.Join('&', parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")),
        }.Uri;

        HttpResponseMessage response;
        try
        {
            response = await kubelets.GetAsync(nodeName, url, ct);
        }
        catch (HttpRequestException e)
        {
            throw new ApiStatusException(500, string.Empty, $"Get \"{url}\": {Reason(e)}");
        }

        using (response)
        {
            var code = (int)response.StatusCode;
            if (code is < 200 or > 206)
            {
                var body = await response.Content.ReadAsStringAsync(ct);
                throw KubeletError(code, body.Length > 50000 ? body[..50000] : body, info.Name);
            }

            context.Response.StatusCode = 200;
            await context.Response.StartAsync(ct);
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[16 * 1024];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer, ct)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct);
                    await context.Response.Body.FlushAsync(ct);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
            {
                // The client went away (or the kubelet did): the stream just ends; disposing the response closes
                // the kubelet connection, which ends a follow on the node.
            }
        }
    }

    /// <summary>The container to read: the named one (it must exist), else the pod's only container.</summary>
    private static string ChooseContainer(JsonObject pod, string name, string? container)
    {
        static List<string> Names(JsonNode? list) =>
            [.. (list as JsonArray ?? []).OfType<JsonObject>().Select(c => c["name"]?.GetValue<string>() ?? string.Empty)];
        var containers = Names(pod["spec"]?["containers"]);
        var init = Names(pod["spec"]?["initContainers"]);
        if (!string.IsNullOrEmpty(container))
        {
            return containers.Contains(container) || init.Contains(container)
                ? container
                : throw ApiErrors.BadRequest($"container {container} is not valid for pod {name}");
        }

        return containers.Count switch
        {
            1 => containers[0],
            0 => throw ApiErrors.BadRequest($"a container name must be specified for pod {name}"),
            _ => throw ApiErrors.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(' ', containers)}]"
                + (init.Count > 0 ? $" or one of the init containers: [{string.Join(' ', init)}]" : string.Empty)),
        };
    }

    /// <summary>The address the API server dials a node's kubelet at: InternalIP, ExternalIP, then Hostname.</summary>
    internal static string KubeletHost(JsonObject node, string nodeName)
    {
        var addresses = (node["status"]?["addresses"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var type in AddressPreference)
        {
            if (addresses.FirstOrDefault(a => a["type"]?.GetValue<string>() == type)?["address"]?.GetValue<string>() is { Length: > 0 } address)
            {
                return address;
            }
        }

        throw ApiErrors.BadRequest($"no preferred addresses found; known addresses: []; node {nodeName}");
    }

    /// <summary>The kubelet's port from the Node's <c>daemonEndpoints</c>, else 10250.</summary>
    internal static int KubeletPort(JsonObject node) =>
        node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"] is JsonValue port && port.TryGetValue<int>(out var p) && p > 0 ? p : Kubelet.KubeletSettings.DefaultPort;

    /// <summary>A kubelet error answer as kube-apiserver's generic response checker turns it into a Status.</summary>
    private static ApiStatusException KubeletError(int code, string body, string name) => code switch
    {
        500 => ApiErrors.Internal(body),
        400 => ApiErrors.BadRequest(body),
        404 => new ApiStatusException(404, "NotFound", $"the server could not find the requested resource ( pods/log {name})", name, string.Empty, "pods/log"),
        401 => new ApiStatusException(401, "Unauthorized", $"the server has asked for the client to provide credentials ( pods/log {name})", name, string.Empty, "pods/log"),
        403 => new ApiStatusException(403, "Forbidden", $"{body} ( pods/log {name})", name, string.Empty, "pods/log"),
        422 => new ApiStatusException(422, "Invalid", $"the server rejected our request due to an error in our request ( pods/log {name})", name, string.Empty, "pods/log"),
        503 => new ApiStatusException(503, "ServiceUnavailable", $"the server is currently unable to handle the request ( pods/log {name})", name, string.Empty, "pods/log"),
        >= 500 => new ApiStatusException(code, "InternalError", $"an error on the server (\"{body}\") has prevented the request from succeeding ( pods/log {name})", name, string.Empty, "pods/log"),
        _ => new ApiStatusException(code, string.Empty, $"the server responded with the status code {code} but did not return more information ( pods/log {name})", name, string.Empty, "pods/log"),
    };

    /// <summary>Go's wording of a failed dial where it has one.</summary>
    private static string Reason(HttpRequestException e) => e.InnerException switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connect: connection refused",
        SocketException s => s.Message,
        { } inner => inner.Message,
        null => e.Message,
    };

    private static long? Long(string? text) =>
        string.IsNullOrEmpty(text) ? null
        : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
        : throw ApiErrors.BadRequest($"strconv.ParseInt: parsing \"{text}\": invalid syntax");
}
