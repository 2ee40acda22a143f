using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.NodeLifecycle;

/// <summary>Whether a pod toleration tolerates a taint (upstream <c>Toleration.ToleratesTaint</c>). Pure.</summary>
internal static class Tolerations
{
    /// <summary>
    /// True when the effects agree (an empty toleration effect matches all), the keys agree (an empty key with
    /// <c>Exists</c> matches every key) and, for <c>Equal</c> (the default operator), the values are equal.
    /// </summary>
    public static bool Tolerates(JsonObject toleration, string key, string value, string effect)
    {
        var tolerationEffect = toleration.Str("effect") ?? string.Empty;
        if (tolerationEffect.Length > 0 && tolerationEffect != effect)
        {
            return false;
        }

        var tolerationKey = toleration.Str("key") ?? string.Empty;
        var op = toleration.Str("operator") is { Length: > 0 } o ? o : "Equal";
        if (tolerationKey.Length == 0)
        {
            return op == "Exists";
        }

        if (tolerationKey != key)
        {
            return false;
        }

        return op switch
        {
            "Exists" => true,
            "Equal" => (toleration.Str("value") ?? string.Empty) == value,
            _ => false,
        };
    }
}
