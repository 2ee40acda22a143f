using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using K3sLab.K3s.ApiServer.Authentication;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class ServiceAccountTokensTests : IDisposable
{
    private const string Issuer = "https://kubernetes.default.svc.cluster.local";
    private static readonly ServiceAccountClaims Builder = new("ci", "builder", "uid-1", [Issuer], null, null);

    private readonly RSA _key = RSA.Create(2048);
    private readonly SettableTime _time = new(DateTimeOffset.Parse("2026-11-30T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose() => _key.Dispose();

    [Fact]
    public void Issued_ValidatesBack_WithKubesClaims()
    {
        var tokens = Tokens();
        var bound = Builder with { PodName = "p", PodUid = "pod-uid", Jti = "jti-1", NodeName = "n1", NodeUid = "node-uid" };
        var (token, expires) = tokens.Issue(bound, TimeSpan.FromHours(1));

        expires.Should().Be(_time.GetUtcNow().AddHours(1));
        var claims = tokens.Validate(token, out _);
        claims.Should().BeEquivalentTo(bound);
        claims!.User.Groups.Should().Equal("system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated");
        claims.User.Uid.Should().Be(Builder.Uid, "a service account's user carries the account's uid");
        claims.User.Extra.Should().BeEquivalentTo(new Dictionary<string, string[]>
        {
            ["authentication.kubernetes.io/credential-id"] = ["JTI=jti-1"],
            ["authentication.kubernetes.io/node-name"] = ["n1"],
            ["authentication.kubernetes.io/node-uid"] = ["node-uid"],
            ["authentication.kubernetes.io/pod-name"] = ["p"],
            ["authentication.kubernetes.io/pod-uid"] = ["pod-uid"],
        });
        tokens.Validate(tokens.Issue(Builder, TimeSpan.FromHours(1)).Token, out _)!.User.Extra.Keys.Should().Equal(["authentication.kubernetes.io/credential-id"], "an unbound token has only its id");

        using var payload = JsonDocument.Parse(Convert.FromBase64String(Pad(token.Split('.')[1])));
        payload.RootElement.GetProperty("sub").GetString().Should().Be("system:serviceaccount:ci:builder");
        payload.RootElement.GetProperty("exp").GetInt64().Should().Be(expires.ToUnixTimeSeconds());
        using var header = JsonDocument.Parse(Convert.FromBase64String(Pad(token.Split('.')[0])));
        header.RootElement.GetProperty("alg").GetString().Should().Be("RS256");
    }

    [Fact]
    public void Expired_Tampered_ForeignAndWrongAudience_AreRefused()
    {
        var tokens = Tokens();
        var (token, _) = tokens.Issue(Builder, TimeSpan.FromMinutes(10));
        var parts = token.Split('.');
        var tampered = $"{parts[0]}.{Base64Url(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1]))).Replace("builder", "admin")))}.{parts[2]}";
        using var otherKey = RSA.Create(2048);
        var (foreign, _) = new ServiceAccountTokens(otherKey, Issuer, [Issuer], _time).Issue(Builder, TimeSpan.FromMinutes(10));
        var (elsewhere, _) = tokens.Issue(Builder with { Audiences = ["vault"] }, TimeSpan.FromMinutes(10));

        tokens.Validate(tampered, out _).Should().BeNull();
        tokens.Validate(foreign, out _).Should().BeNull();
        tokens.Validate("not-a-jwt", out _).Should().BeNull();
        tokens.Validate(elsewhere, out var audience).Should().BeNull();
        audience.Should().Contain("audiences");
        tokens.Validate(elsewhere, out _, ["vault"]).Should().NotBeNull("a TokenReview may name the audience it accepts");

        _time.Now += TimeSpan.FromMinutes(11);
        tokens.Validate(token, out var expired).Should().BeNull();
        expired.Should().Be("token has expired");
    }

    private ServiceAccountTokens Tokens() => new(_key, Issuer, [Issuer, "k3s"], _time);

    private static string Pad(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text + new string('=', (4 - (text.Length % 4)) % 4);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed class SettableTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
