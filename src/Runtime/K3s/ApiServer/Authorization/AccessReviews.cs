using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>
/// The review resources, which are asked and answered in one POST and never stored: SelfSubjectAccessReview
/// (<c>kubectl auth can-i</c>), SubjectAccessReview and LocalSubjectAccessReview (the same for another user),
/// SelfSubjectRulesReview (<c>kubectl auth can-i --list</c>) and SelfSubjectReview (<c>kubectl auth whoami</c>). The
/// answer is the request with its <c>status</c> filled in, returned with 201 as kube-apiserver does.
/// </summary>
internal sealed class AccessReviews(RbacPolicyCache policy)
{
    private static readonly HashSet<(string Group, string Resource)> Reviews =
    [
        ("authorization.k8s.io", "selfsubjectaccessreviews"),
        ("authorization.k8s.io", "subjectaccessreviews"),
        ("authorization.k8s.io", "localsubjectaccessreviews"),
        ("authorization.k8s.io", "selfsubjectrulesreviews"),
        ("authentication.k8s.io", "selfsubjectreviews"),
    ];

    public static bool Serves(string group, string resource) => Reviews.Contains((group, resource));

    public async Task HandleAsync(HttpContext context, RequestInfo info, UserInfo user)
    {
        if (info.Verb != "create" || info.Name.Length > 0 || info.Subresource.Length > 0)
        {
            throw ApiErrors.MethodNotSupported(info.Group, info.Resource, info.Verb);
        }

        var review = await ObjectBody.ReadAsync(context);
        var spec = review["spec"] as JsonObject ?? [];
        review["status"] = info.Resource switch
        {
            "selfsubjectaccessreviews" => Decide(user, spec, string.Empty),
            "subjectaccessreviews" => Decide(Subject(spec), spec, string.Empty),
            "localsubjectaccessreviews" => Decide(Subject(spec), spec, info.Namespace),
            "selfsubjectrulesreviews" => Rules(user, spec),
            _ => new JsonObject { ["userInfo"] = user.ToJson() },
        };
        review["metadata"] ??= new JsonObject();
        context.Response.StatusCode = 201;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(review.ToJsonString()), context.RequestAborted);
    }

    private JsonObject Decide(UserInfo user, JsonObject spec, string pathNamespace)
    {
        AccessRequest request;
        if (spec["resourceAttributes"] is JsonObject attributes)
        {
            var ns = Text(attributes["namespace"]);
            if (pathNamespace.Length > 0 && ns != pathNamespace)
            {
                throw ApiErrors.BadRequest($"spec.resourceAttributes.namespace must equal the namespace of the request ({pathNamespace}), not \"{ns}\"");
            }

            request = new AccessRequest(Required(attributes, "verb"), Text(attributes["group"]), Text(attributes["resource"]), Text(attributes["subresource"]), ns, Text(attributes["name"]));
        }
        else if (spec["nonResourceAttributes"] is JsonObject nonResource && pathNamespace.Length == 0)
        {
            request = new AccessRequest(Required(nonResource, "verb"), string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, Text(nonResource["path"]));
        }
        else
        {
            throw ApiErrors.BadRequest(pathNamespace.Length > 0
                ? "spec.resourceAttributes is required"
                : "exactly one of spec.resourceAttributes and spec.nonResourceAttributes is required");
        }

        var allowed = policy.Allows(user, request);
        var status = new JsonObject { ["allowed"] = allowed };
        if (allowed)
        {
            status["reason"] = "RBAC: allowed";
        }

        return status;
    }

    private JsonObject Rules(UserInfo user, JsonObject spec)
    {
        var ns = Text(spec["namespace"]);
        var rules = policy.RulesFor(user, ns);
        var resourceRules = new JsonArray();
        var nonResourceRules = new JsonArray();
        foreach (var rule in rules)
        {
            if (rule.NonResourceUrls.Count > 0)
            {
                nonResourceRules.Add((JsonNode)new JsonObject { ["verbs"] = Array(rule.Verbs), ["nonResourceURLs"] = Array(rule.NonResourceUrls) });
            }

            if (rule.Resources.Count > 0)
            {
                var json = new JsonObject { ["verbs"] = Array(rule.Verbs), ["apiGroups"] = Array(rule.ApiGroups), ["resources"] = Array(rule.Resources) };
                if (rule.ResourceNames.Count > 0)
                {
                    json["resourceNames"] = Array(rule.ResourceNames);
                }

                resourceRules.Add((JsonNode)json);
            }
        }

        return new JsonObject { ["resourceRules"] = resourceRules, ["nonResourceRules"] = nonResourceRules, ["incomplete"] = false };
    }

    private static UserInfo Subject(JsonObject spec)
    {
        var name = Text(spec["user"]);
        var groups = (spec["groups"] as JsonArray ?? []).Select(Text).Where(g => g.Length > 0).ToList();
        return name.Length > 0 || groups.Count > 0
            ? new UserInfo(name, groups)
            : throw ApiErrors.BadRequest("at least one of spec.user and spec.groups must be set");
    }

    private static string Required(JsonObject attributes, string field) =>
        Text(attributes[field]) is { Length: > 0 } value ? value : throw ApiErrors.BadRequest($"the {field} of the attributes to review is required");

    private static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    private static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var s) ? s : string.Empty;
}
