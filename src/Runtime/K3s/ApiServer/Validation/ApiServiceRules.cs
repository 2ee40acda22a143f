using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// kube-aggregator's APIService validation, with its messages: the name is a path segment equal to
/// <c>spec.version + "." + spec.group</c>; the group is a DNS subdomain (empty only for the legacy <c>v1</c>), the
/// version a DNS-1035 label; both priorities in range; a local APIService (no service) carries no CA bundle and no
/// <c>insecureSkipTLSVerify</c>, and one with a service names it and does not combine a CA bundle with skipping TLS.
/// </summary>
internal static class ApiServiceRules
{
    /// <summary>The name's causes, in place of the generic name rule (<c>v1.</c> is no DNS subdomain).</summary>
    public static IReadOnlyList<StatusCause> Name(JsonObject apiService)
    {
        var name = apiService.Obj("metadata").Str("name");
        if (string.IsNullOrEmpty(name))
        {
            return NameValidation.Check(name, apiService.Obj("metadata").Str("generateName"), NameValidation.Rule.Subdomain);
        }

        var required = $"{apiService.Obj("spec").Str("version")}.{apiService.Obj("spec").Str("group")}";
        var failures = Formats.PathSegmentName(name);
        if (failures.Count == 0 && name != required)
        {
            failures.Add($"must be `spec.version+\".\"+spec.group`: {GoValue.Quote(required)}");
        }

        var errors = new FieldErrorList();
        errors.InvalidEach("metadata.name", name, failures);
        return errors;
    }

    public static void Spec(JsonObject? spec, FieldErrorList errors)
    {
        var group = spec.Str("group") ?? string.Empty;
        var version = spec.Str("version") ?? string.Empty;
        if (group.Length == 0 && version != "v1")
        {
            errors.Required("spec.group", "only v1 may have an empty group and it better be legacy kube");
        }

        if (group.Length > 0)
        {
            errors.InvalidEach("spec.group", group, Formats.Dns1123Subdomain(group));
        }

        if (version.Length == 0)
        {
            errors.Invalid("spec.version", string.Empty, NameValidation.Dns1035Message);
        }
        else
        {
            errors.AddRange(NameValidation.Check(version, null, NameValidation.Rule.Dns1035Label, "spec.version"));
        }

        var groupPriority = spec.Long("groupPriorityMinimum") ?? 0;
        if (groupPriority is <= 0 or > 20000)
        {
            errors.Invalid("spec.groupPriorityMinimum", groupPriority, "must be positive and less than 20000");
        }

        var versionPriority = spec.Long("versionPriority") ?? 0;
        if (versionPriority is <= 0 or > 1000)
        {
            errors.Invalid("spec.versionPriority", versionPriority, "must be positive and less than 1000");
        }

        var caBundle = spec.Str("caBundle") is { Length: > 0 } encoded ? Convert.FromBase64String(encoded).Length : 0;
        var skipTls = spec.Bool("insecureSkipTLSVerify") == true;
        if (spec.Obj("service") is not { } service)
        {
            if (caBundle > 0)
            {
                errors.Invalid("spec.caBundle", $"{caBundle} bytes", "local APIServices may not have a caBundle");
            }

            if (skipTls)
            {
                errors.Add(new StatusCause("FieldValueInvalid", "Invalid value: true: local APIServices may not have insecureSkipTLSVerify", "spec.insecureSkipTLSVerify"));
            }

            return;
        }

        if (string.IsNullOrEmpty(service.Str("namespace")))
        {
            errors.Required("spec.service.namespace");
        }

        if (string.IsNullOrEmpty(service.Str("name")))
        {
            errors.Required("spec.service.name");
        }

        if (skipTls && caBundle > 0)
        {
            errors.Add(new StatusCause("FieldValueInvalid", "Invalid value: true: may not be true if caBundle is present", "spec.insecureSkipTLSVerify"));
        }
    }
}
