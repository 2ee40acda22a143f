using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// A container's environment (<c>ValidateEnv</c>): names follow the relaxed rule of 1.33, a value comes from one
/// source at most and not beside a literal value, and config map and secret key references name a key.
/// </summary>
internal static class EnvRules
{
    public static void Env(JsonArray? env, string path, FieldErrorList errors)
    {
        foreach (var (i, variable) in env.Items())
        {
            var at = $"{path}[{i}]";
            var name = variable.Str("name") ?? string.Empty;
            if (name.Length == 0)
            {
                errors.Required($"{at}.name");
            }
            else
            {
                errors.InvalidEach($"{at}.name", name, Formats.EnvVarName(name));
            }

            if (variable.Obj("valueFrom") is not { } valueFrom)
            {
                continue;
            }

            var from = $"{at}.valueFrom";
            var sources = 0;
            foreach (var source in new[] { "fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef" })
            {
                if (valueFrom.Obj(source) is { } selector)
                {
                    sources++;
                    if (source is "configMapKeyRef" or "secretKeyRef")
                    {
                        KeySelector(selector, $"{from}.{source}", errors);
                    }
                }
            }

            if (sources == 0)
            {
                errors.Invalid(from, string.Empty, "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
            }
            else if (!string.IsNullOrEmpty(variable.Str("value")))
            {
                errors.Invalid(from, string.Empty, "may not be specified when `value` is not empty");
            }
            else if (sources > 1)
            {
                errors.Invalid(from, string.Empty, "may not have more than one field specified at a time");
            }
        }
    }

    private static void KeySelector(JsonObject selector, string path, FieldErrorList errors)
    {
        var name = selector.Str("name") ?? string.Empty;
        errors.InvalidEach($"{path}.name", name, Formats.Dns1123Subdomain(name));
        var key = selector.Str("key") ?? string.Empty;
        if (key.Length == 0)
        {
            errors.Required($"{path}.key");
        }
        else
        {
            errors.InvalidEach($"{path}.key", key, Formats.ConfigMapKey(key));
        }
    }
}
