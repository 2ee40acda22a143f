using K3sLab.K3s.Store.Sql.Postgres;

namespace K3sLab.Lab.Tests.Datastore.Postgres;

/// <summary>The postgres:// endpoint as k3s reads it, and the redaction every message applies to it.</summary>
[Trait("Category", "Unit")]
public sealed class PostgresEndpointTests
{
    [Fact]
    public void Parse_FullEndpoint_ReadsEveryPart()
    {
        var endpoint = PostgresEndpoint.Parse("postgres://k3s:s3cret@db.example:6432/cluster?sslmode=require&connect_timeout=7");
        endpoint.Should().Be(new PostgresEndpoint("db.example", 6432, "k3s", "s3cret", "cluster") { SslMode = "require", ConnectTimeout = 7 });
    }

    [Fact]
    public void Parse_NoPortNoDatabase_UsesKinesDefaults()
    {
        var endpoint = PostgresEndpoint.Parse("postgresql://k3s:pw@127.0.0.1");
        (endpoint.Port, endpoint.Database, endpoint.SslMode).Should().Be((5432, "kubernetes", (string?)null));
    }

    [Fact]
    public void Parse_PercentEncodedCredentials_AreDecoded()
    {
        var endpoint = PostgresEndpoint.Parse("postgres://k3s%40corp:p%40ss%3Aword%2F1@[::1]:5432/k3s");
        (endpoint.User, endpoint.Password, endpoint.Host).Should().Be(("k3s@corp", "p@ss:word/1", "::1"));
        endpoint.Redacted.Should().Be("postgres://k3s%40corp:***@[::1]:5432/k3s");
    }

    [Theory]
    [InlineData("mysql://k3s:pw@host/db", "not a postgres://")]
    [InlineData("postgres://host:5432/db", "names no user")]
    [InlineData("postgres://k3s:pw@host/db?sslmode=sometimes", "sslmode 'sometimes'")]
    [InlineData("postgres://k3s:pw@host/db?pool_max_conns=4", "option 'pool_max_conns' is not supported")]
    [InlineData("postgres://k3s:pw@host/db?connect_timeout=-1", "connect_timeout")]
    public void Parse_BadEndpoint_FailsWithTheReasonAndNoPassword(string raw, string reason)
    {
        var parse = () => PostgresEndpoint.Parse(raw);
        parse.Should().Throw<FormatException>().Which.Message.Should().Contain(reason).And.NotContain(":pw@");
    }

    [Theory]
    [InlineData("postgres://k3s:s3cret@127.0.0.1:5432/k3s", "postgres://k3s:***@127.0.0.1:5432/k3s")]
    [InlineData("postgres://k3s:a@b@host/db?sslmode=disable", "postgres://k3s:***@host/db?sslmode=disable")]
    [InlineData("postgres://k3s@host/db", "postgres://k3s@host/db")]
    [InlineData("postgres://host/db", "postgres://host/db")]
    [InlineData("not an endpoint", "not an endpoint")]
    public void Redact_AnyEndpoint_HidesOnlyThePassword(string raw, string expected) =>
        PostgresEndpoint.Redact(raw).Should().Be(expected);

    [Fact]
    public void Redacted_ParsedEndpoint_ShowsPortAndDatabaseButNotThePassword() =>
        PostgresEndpoint.Parse("postgres://k3s:s3cret@127.0.0.1/k3s").Redacted.Should().Be("postgres://k3s:***@127.0.0.1:5432/k3s");
}
