using System.Text;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// ConfigMaps and Secrets (<c>ValidateConfigMap</c>, <c>ValidateSecret</c> and their updates): keys are config keys,
/// the data totals at most 1 MiB, a typed secret carries the keys its type needs, a secret's type never changes,
/// and an immutable object keeps its data. A secret's <c>stringData</c> counts as the <c>data</c> it becomes.
/// </summary>
internal static class ConfigDataRules
{
    /// <summary>kube-apiserver's limit on the data of one ConfigMap or Secret.</summary>
    public const int MaxDataBytes = 1024 * 1024;

    private const string ImmutableMessage = "field is immutable when `immutable` is set";

    public static void ConfigMap(JsonObject obj, FieldErrorList errors)
    {
        var data = obj.Obj("data");
        var binary = obj.Obj("binaryData");
        long total = 0;
        foreach (var (key, value) in data.Entries())
        {
            errors.InvalidEach($"data[{key}]", key, Formats.ConfigMapKey(key));
            if (binary?.ContainsKey(key) == true)
            {
                errors.Invalid($"data[{key}]", key, "duplicate of key present in binaryData");
            }

            total += Encoding.UTF8.GetByteCount(value);
        }

        foreach (var (key, value) in binary.Entries())
        {
            errors.InvalidEach($"binaryData[{key}]", key, Formats.ConfigMapKey(key));
            total += Decoded(value).Length;
        }

        if (total > MaxDataBytes)
        {
            // An empty path: the error is about the whole object.
            errors.TooLong(string.Empty, MaxDataBytes);
        }
    }

    public static void Secret(JsonObject obj, FieldErrorList errors)
    {
        var data = Data(obj);
        foreach (var key in data.Keys)
        {
            errors.InvalidEach($"data[{key}]", key, Formats.ConfigMapKey(key));
        }

        if (data.Values.Sum(v => (long)v.Length) > MaxDataBytes)
        {
            errors.TooLong("data", MaxDataBytes);
        }

        switch (obj.Str("type"))
        {
            case "kubernetes.io/service-account-token":
                if (string.IsNullOrEmpty(obj.Obj("metadata").Obj("annotations").Str("kubernetes.io/service-account.name")))
                {
                    errors.Required("metadata.annotations[kubernetes.io/service-account.name]");
                }

                break;
            case "kubernetes.io/dockercfg":
                RequireKey(data, ".dockercfg", errors);
                break;
            case "kubernetes.io/dockerconfigjson":
                RequireKey(data, ".dockerconfigjson", errors);
                break;
            case "kubernetes.io/basic-auth":
                if (!data.ContainsKey("username") && !data.ContainsKey("password"))
                {
                    errors.Required("data[username]");
                    errors.Required("data[password]");
                }

                break;
            case "kubernetes.io/ssh-auth":
                if (data.GetValueOrDefault("ssh-privatekey") is not { Length: > 0 })
                {
                    errors.Required("data[ssh-privatekey]");
                }

                break;
            case "kubernetes.io/tls":
                RequireKey(data, "tls.crt", errors);
                RequireKey(data, "tls.key", errors);
                break;
        }
    }

    /// <summary>A Secret's type may not change, nor may the data of an immutable one.</summary>
    public static void SecretUpdate(JsonObject obj, JsonObject old, FieldErrorList errors)
    {
        var type = obj.Str("type") ?? string.Empty;
        if (type != (old.Str("type") ?? string.Empty))
        {
            errors.Invalid("type", type, "field is immutable");
        }

        if (old.Bool("immutable") == true)
        {
            if (obj.Bool("immutable") != true)
            {
                errors.Forbidden("immutable", ImmutableMessage);
            }

            var (data, oldData) = (Data(obj), Data(old));
            if (data.Count != oldData.Count || data.Any(e => !oldData.TryGetValue(e.Key, out var v) || !v.AsSpan().SequenceEqual(e.Value)))
            {
                errors.Forbidden("data", ImmutableMessage);
            }
        }
    }

    public static void ConfigMapUpdate(JsonObject obj, JsonObject old, FieldErrorList errors)
    {
        if (old.Bool("immutable") != true)
        {
            return;
        }

        if (obj.Bool("immutable") != true)
        {
            errors.Forbidden("immutable", ImmutableMessage);
        }

        foreach (var field in new[] { "data", "binaryData" })
        {
            // Go's semantic equality: an empty map equals a missing one.
            if (!JsonNode.DeepEquals(obj.Obj(field) is { Count: > 0 } now ? now : null, old.Obj(field) is { Count: > 0 } before ? before : null))
            {
                errors.Forbidden(field, ImmutableMessage);
            }
        }
    }

    /// <summary>A secret's data as kube-apiserver sees it: <c>data</c> decoded, overwritten by <c>stringData</c>.</summary>
    private static Dictionary<string, byte[]> Data(JsonObject obj)
    {
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in obj.Obj("data").Entries())
        {
            data[key] = Decoded(value);
        }

        foreach (var (key, value) in obj.Obj("stringData").Entries())
        {
            data[key] = Encoding.UTF8.GetBytes(value);
        }

        return data;
    }

    private static void RequireKey(Dictionary<string, byte[]> data, string key, FieldErrorList errors)
    {
        if (!data.ContainsKey(key))
        {
            errors.Required($"data[{key}]");
        }
    }

    private static byte[] Decoded(string base64)
    {
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            // Decoding refuses bad base64 before validation; count it as written if it slipped through.
            return Encoding.UTF8.GetBytes(base64);
        }
    }
}
