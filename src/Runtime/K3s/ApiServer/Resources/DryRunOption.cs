using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Validation;
using Microsoft.Extensions.Primitives;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// A write's <c>dryRun</c> option, read where kube clients put it: the query (<c>?dryRun=All</c>, create, update and
/// patch) and the body's <c>DeleteOptions.dryRun</c> list (kubectl, client-go and the Python client send deletes and
/// evictions that way). Either one asking for a dry run makes it one. The only value is <c>All</c>; anything else is
/// a 422 on the method's options kind, as apimachinery's <c>ValidateDryRun</c> answers, and nothing is written.
/// </summary>
internal static class DryRunOption
{
    private const string All = "All";

    public static bool Requested(string method, StringValues query, JsonObject? options)
    {
        var values = query.Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();
        switch (options?["dryRun"])
        {
            case null:
                break;
            case JsonArray list when list.All(v => v is JsonValue value && value.TryGetValue<string>(out _)):
                values.AddRange(list.Select(v => v!.GetValue<string>()));
                break;
            default:
                throw ApiErrors.BadRequest("dryRun must be a list of strings");
        }

        if (values.Any(v => v != All))
        {
            var errors = new FieldErrorList();
            errors.NotSupported("dryRun", new GoValue("[]string{" + string.Join(", ", values.Select(GoValue.Quote)) + "}"), All);
            throw ApiErrors.Invalid("meta.k8s.io", OptionsKind(method), string.Empty, errors);
        }

        return values.Count > 0;
    }

    private static string OptionsKind(string method) => method switch
    {
        "POST" => "CreateOptions",
        "PUT" => "UpdateOptions",
        "PATCH" => "PatchOptions",
        _ => "DeleteOptions",
    };
}
