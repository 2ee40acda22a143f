using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>A pod's tolerations (<c>ValidateTolerations</c>): key, operator, value and effect, and their combinations.</summary>
internal static class TolerationRules
{
    public static void Tolerations(JsonArray? tolerations, string path, FieldErrorList errors)
    {
        foreach (var (i, toleration) in tolerations.Items())
        {
            var at = $"{path}[{i}]";
            var key = toleration.Str("key") ?? string.Empty;
            var op = toleration.Str("operator") ?? string.Empty;
            var value = toleration.Str("value") ?? string.Empty;
            var effect = toleration.Str("effect") ?? string.Empty;
            if (key.Length > 0)
            {
                MetadataRules.LabelName(key, $"{at}.key", errors);
            }

            if (key.Length == 0 && op != "Exists")
            {
                errors.Invalid($"{at}.operator", op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
            }

            if (toleration.Has("tolerationSeconds") && effect != "NoExecute")
            {
                errors.Invalid($"{at}.effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set");
            }

            switch (op)
            {
                case "Equal" or "":
                    if (Formats.LabelValue(value) is { Count: > 0 } messages)
                    {
                        errors.Invalid($"{at}.operator", value, string.Join(";", messages));
                    }

                    break;
                case "Exists":
                    if (value.Length > 0)
                    {
                        errors.Invalid($"{at}.operator", value, "value must be empty when `operator` is 'Exists'");
                    }

                    break;
                default:
                    errors.NotSupported($"{at}.operator", op, "Equal", "Exists");
                    break;
            }

            if (effect.Length > 0 && effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
            {
                errors.NotSupported($"{at}.effect", effect, "NoSchedule", "PreferNoSchedule", "NoExecute");
            }
        }
    }
}
