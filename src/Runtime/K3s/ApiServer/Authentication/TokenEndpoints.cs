using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Authentication;

/// <summary>
/// The two token resources: <c>serviceaccounts/&lt;name&gt;/token</c> (a TokenRequest, what <c>kubectl create
/// token</c> and the kubelet ask for) issues a token for an existing service account, optionally bound to a pod;
/// <c>tokenreviews</c> (a TokenReview) says whether a token is valid and whose it is. Both answer 201 and store
/// nothing, as kube-apiserver does.
/// </summary>
internal sealed class TokenEndpoints(BearerAuthenticator authenticator, ObjectStorage storage, TimeProvider time)
{
    /// <summary>kube-apiserver's default and minimum token lifetimes.</summary>
    private const long DefaultSeconds = 3600;
    private const long MinimumSeconds = 600;
    private const long MaximumSeconds = 48 * 3600;

    private static readonly ResourceKind ServiceAccounts = new(string.Empty, "serviceaccounts", true);
    private static readonly ResourceKind Pods = new(string.Empty, "pods", true);
    private static readonly ResourceKind Nodes = new(string.Empty, "nodes", false);

    public async Task IssueAsync(HttpContext context, RequestInfo info)
    {
        if (info.Verb != "create")
        {
            throw ApiErrors.MethodNotSupported(info.Group, "serviceaccounts/token", info.Verb);
        }

        var ct = context.RequestAborted;
        var request = await ObjectBody.ReadAsync(context);
        var spec = request["spec"] as JsonObject ?? [];
        var seconds = spec["expirationSeconds"] is JsonValue value ? value.GetValue<long>() : DefaultSeconds;
        if (seconds < MinimumSeconds)
        {
            throw ApiErrors.Invalid("authentication.k8s.io", "TokenRequest", info.Name, [new("FieldValueInvalid", "may not specify a duration less than 10 minutes", "spec.expirationSeconds")]);
        }

        seconds = Math.Min(seconds, MaximumSeconds);
        var account = (await storage.GetAsync(ServiceAccounts, info.Namespace, info.Name, ct)).Object;
        var audiences = (spec["audiences"] as JsonArray ?? []).Select(a => a?.GetValue<string>()).OfType<string>().ToList();
        if (audiences.Count == 0)
        {
            audiences = [.. authenticator.Tokens.ApiAudiences];
        }

        var (podName, podUid, nodeName, nodeUid) = await BoundPodAsync(spec["boundObjectRef"] as JsonObject, info.Namespace, ct);
        var claims = new ServiceAccountClaims(info.Namespace, info.Name, account["metadata"]!["uid"]!.GetValue<string>(), audiences, podName, podUid, Guid.NewGuid().ToString(), nodeName, nodeUid);
        var (token, expires) = authenticator.Tokens.Issue(claims, TimeSpan.FromSeconds(seconds));

        spec["audiences"] = new JsonArray([.. audiences.Select(a => (JsonNode)JsonValue.Create(a))]);
        spec["expirationSeconds"] = seconds;
        var response = new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = info.Name,
                ["namespace"] = info.Namespace,
                ["creationTimestamp"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            },
            ["spec"] = spec.DeepClone(),
            ["status"] = new JsonObject
            {
                ["token"] = token,
                ["expirationTimestamp"] = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            },
        };
        await WriteAsync(context, response);
    }

    public async Task ReviewAsync(HttpContext context, RequestInfo info)
    {
        if (info.Verb != "create" || info.Name.Length > 0)
        {
            throw ApiErrors.MethodNotSupported(info.Group, info.Resource, info.Verb);
        }

        var review = await ObjectBody.ReadAsync(context);
        var spec = review["spec"] as JsonObject ?? [];
        var token = spec["token"]?.GetValue<string>() ?? string.Empty;
        var audiences = (spec["audiences"] as JsonArray ?? []).Select(a => a?.GetValue<string>()).OfType<string>().ToList();
        var claims = authenticator.Tokens.Validate(token, out var reason, audiences.Count > 0 ? audiences : null);
        if (claims is not null && !await authenticator.StillValidAsync(claims, context.RequestAborted))
        {
            (claims, reason) = (null, "the service account or pod the token was issued for no longer exists");
        }

        review["status"] = claims is null
            ? new JsonObject { ["authenticated"] = false, ["error"] = reason, ["user"] = new JsonObject() }
            : new JsonObject
            {
                ["authenticated"] = true,
                ["user"] = claims.User.ToJson(),
                ["audiences"] = new JsonArray([.. claims.Audiences.Select(a => (JsonNode)JsonValue.Create(a))]),
            };
        review["metadata"] ??= new JsonObject();
        await WriteAsync(context, review);
    }

    /// <summary>
    /// The pod a token is bound to and, as kube-apiserver 1.33 records it (ServiceAccountTokenPodNodeInfo), the node
    /// the pod is scheduled to, when that node exists.
    /// </summary>
    private async Task<(string? Name, string? Uid, string? NodeName, string? NodeUid)> BoundPodAsync(JsonObject? reference, string ns, CancellationToken ct)
    {
        if (reference is null)
        {
            return (null, null, null, null);
        }

        var kind = reference["kind"]?.GetValue<string>();
        var name = reference["name"]?.GetValue<string>() ?? string.Empty;
        if (kind != "Pod")
        {
            throw ApiErrors.BadRequest($"tokens can be bound to a Pod here, not to a {kind}: binding to Secrets and Nodes is not supported yet");
        }

        var pod = (await storage.GetAsync(Pods, ns, name, ct)).Object;
        var uid = pod["metadata"]!["uid"]!.GetValue<string>();
        if (reference["uid"]?.GetValue<string>() is { Length: > 0 } asked && asked != uid)
        {
            throw ApiErrors.Conflict(string.Empty, "pods", name, $"the UID in the bound object reference ({asked}) does not match the UID in record ({uid}). The object might have been deleted and then recreated");
        }

        if (pod["spec"]?["nodeName"]?.GetValue<string>() is not { Length: > 0 } nodeName)
        {
            return (name, uid, null, null);
        }

        try
        {
            var node = (await storage.GetAsync(Nodes, string.Empty, nodeName, ct)).Object;
            return (name, uid, nodeName, node["metadata"]?["uid"]?.GetValue<string>());
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
            return (name, uid, null, null);
        }
    }

    private static Task WriteAsync(HttpContext context, JsonObject body) => JsonResponse.WriteAsync(context, 201, body);
}
