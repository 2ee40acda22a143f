using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace K3sLab.K3s.ApiServer.Authentication;

/// <summary>
/// What a valid service-account token says: whose it is, its id (<c>jti</c>) and what it is bound to: a pod, and the
/// node that pod was on when the token was issued.
/// </summary>
internal sealed record ServiceAccountClaims(string Namespace, string Name, string Uid, IReadOnlyList<string> Audiences, string? PodName, string? PodUid, string? Jti = null, string? NodeName = null, string? NodeUid = null)
{
    public string UserName => $"system:serviceaccount:{Namespace}:{Name}";

    /// <summary>
    /// The user kube-apiserver 1.33 makes of the token: the service account's uid, and as extra the credential id
    /// (<c>JTI=...</c>) and the bound pod's and node's names and uids.
    /// </summary>
    public UserInfo User
    {
        get
        {
            var extra = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            void Add(string key, string? value)
            {
                if (!string.IsNullOrEmpty(value))
                {
                    extra["authentication.kubernetes.io/" + key] = [value];
                }
            }

            Add("credential-id", Jti is null ? null : "JTI=" + Jti);
            Add("node-name", NodeName);
            Add("node-uid", NodeUid);
            Add("pod-name", PodName);
            Add("pod-uid", PodUid);
            return new(UserName, ["system:serviceaccounts", $"system:serviceaccounts:{Namespace}", "system:authenticated"]) { Uid = Uid, Extra = extra };
        }
    }
}

/// <summary>
/// Service-account tokens as kube-apiserver issues them: RS256 JWTs signed with <c>service.key</c>, the key id
/// being the base64url SHA-256 of the public key, with <c>iss</c>, <c>sub</c>
/// (<c>system:serviceaccount:ns:name</c>), <c>aud</c>, <c>iat</c>/<c>nbf</c>/<c>exp</c>, <c>jti</c> and the
/// <c>kubernetes.io</c> claim naming the namespace, the service account (name and uid) and the bound pod.
/// Validation checks the signature, the issuer, the time window (with kube's 60 s leeway on nbf) and that one
/// audience is the API server's.
/// </summary>
internal sealed class ServiceAccountTokens(RSA key, string issuer, IReadOnlyList<string> apiAudiences, TimeProvider time)
{
    private static readonly TimeSpan Leeway = TimeSpan.FromSeconds(60);
    private readonly string _keyId = Base64Url(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    public string Issuer => issuer;

    public IReadOnlyList<string> ApiAudiences => apiAudiences;

    public (string Token, DateTimeOffset Expires) Issue(ServiceAccountClaims claims, TimeSpan lifetime)
    {
        var now = time.GetUtcNow();
        var expires = now + lifetime;
        var header = Json(w =>
        {
            w.WriteString("alg", "RS256");
            w.WriteString("kid", _keyId);
        });
        var payload = Json(w =>
        {
            w.WriteStartArray("aud");
            foreach (var audience in claims.Audiences)
            {
                w.WriteStringValue(audience);
            }

            w.WriteEndArray();
            w.WriteNumber("exp", expires.ToUnixTimeSeconds());
            w.WriteNumber("iat", now.ToUnixTimeSeconds());
            w.WriteString("iss", issuer);
            w.WriteString("jti", claims.Jti ?? Guid.NewGuid().ToString());
            w.WriteStartObject("kubernetes.io");
            w.WriteString("namespace", claims.Namespace);
            if (claims.NodeName is not null)
            {
                w.WriteStartObject("node");
                w.WriteString("name", claims.NodeName);
                w.WriteString("uid", claims.NodeUid);
                w.WriteEndObject();
            }

            if (claims.PodName is not null)
            {
                w.WriteStartObject("pod");
                w.WriteString("name", claims.PodName);
                w.WriteString("uid", claims.PodUid);
                w.WriteEndObject();
            }

            w.WriteStartObject("serviceaccount");
            w.WriteString("name", claims.Name);
            w.WriteString("uid", claims.Uid);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteNumber("nbf", now.ToUnixTimeSeconds());
            w.WriteString("sub", claims.UserName);
        });
        var signingInput = $"{Base64Url(header)}.{Base64Url(payload)}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return ($"{signingInput}.{Base64Url(signature)}", expires);
    }

    /// <summary>The claims of a token this server issued and that is still valid; null with the reason otherwise.</summary>
    public ServiceAccountClaims? Validate(string token, out string reason, IReadOnlyList<string>? audiences = null)
    {
        reason = "invalid bearer token";
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var signature = FromBase64Url(parts[2]);
            if (!key.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return null;
            }

            using var header = JsonDocument.Parse(FromBase64Url(parts[0]));
            using var payload = JsonDocument.Parse(FromBase64Url(parts[1]));
            var claims = payload.RootElement;
            if (header.RootElement.GetProperty("alg").GetString() != "RS256" || claims.GetProperty("iss").GetString() != issuer)
            {
                return null;
            }

            var now = time.GetUtcNow().ToUnixTimeSeconds();
            if (claims.GetProperty("exp").GetInt64() <= now || (claims.TryGetProperty("nbf", out var nbf) && nbf.GetInt64() > now + (long)Leeway.TotalSeconds))
            {
                reason = "token has expired";
                return null;
            }

            var tokenAudiences = claims.GetProperty("aud") is { ValueKind: JsonValueKind.Array } list
                ? list.EnumerateArray().Select(a => a.GetString() ?? string.Empty).ToList()
                : [claims.GetProperty("aud").GetString() ?? string.Empty];
            var accepted = audiences ?? apiAudiences;
            if (!tokenAudiences.Any(accepted.Contains))
            {
                reason = "token audiences do not match the API server's";
                return null;
            }

            var kubernetes = claims.GetProperty("kubernetes.io");
            var account = kubernetes.GetProperty("serviceaccount");
            var pod = kubernetes.TryGetProperty("pod", out var p) ? p : (JsonElement?)null;
            var node = kubernetes.TryGetProperty("node", out var n) ? n : (JsonElement?)null;
            return new ServiceAccountClaims(
                kubernetes.GetProperty("namespace").GetString()!,
                account.GetProperty("name").GetString()!,
                account.GetProperty("uid").GetString()!,
                [.. tokenAudiences.Where(accepted.Contains)],
                pod?.GetProperty("name").GetString(),
                pod?.GetProperty("uid").GetString(),
                claims.TryGetProperty("jti", out var jti) ? jti.GetString() : null,
                node?.GetProperty("name").GetString(),
                node?.GetProperty("uid").GetString());
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or CryptographicException)
        {
            return null;
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}
