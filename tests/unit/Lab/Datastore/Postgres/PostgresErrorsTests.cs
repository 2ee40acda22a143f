using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Sql;
using K3sLab.K3s.Store.Sql.Postgres;

namespace K3sLab.Lab.Tests.Datastore.Postgres;

/// <summary>What PostgreSQL's failures mean for the writer (retry, reconnect, fail) and the sentences they become; and the schema check.</summary>
[Trait("Category", "Unit")]
public sealed class PostgresErrorsTests
{
    [Theory]
    [InlineData("40001", "Retry")]
    [InlineData("40P01", "Retry")]
    [InlineData("23505", "Retry")]
    [InlineData("57P01", "ConnectionLost")]
    [InlineData("57P03", "ConnectionLost")]
    [InlineData("08006", "ConnectionLost")]
    [InlineData("53300", "ConnectionLost")]
    [InlineData(null, "ConnectionLost")]
    [InlineData("28P01", "Fatal")]
    [InlineData("42P01", "Fatal")]
    [InlineData("53100", "Fatal")]
    public void Classify_SqlState_TellsRetryReconnectOrFail(string? sqlState, string expected) =>
        PostgresErrors.Classify(sqlState).Should().Be(Enum.Parse<SqlFailure>(expected));

    [Theory]
    [InlineData("28P01", "Unavailable", "refused the user name or password")]
    [InlineData("53100", "NoSpace", "out of disk space")]
    [InlineData("25006", "Unavailable", "read-only")]
    [InlineData("57P01", "Unavailable", "cannot reach PostgreSQL")]
    [InlineData(null, "Unavailable", "reconnects by itself")]
    [InlineData("40001", "Unavailable", "another server")]
    public void Describe_SqlState_NamesTheRedactedEndpointAndWhatToDo(string? sqlState, string error, string text)
    {
        var (actual, message) = PostgresErrors.Describe(sqlState, "server said no", "postgres://k3s:***@db:5432/k3s");
        actual.Should().Be(Enum.Parse<StoreError>(error));
        message.Should().Contain(text).And.Contain("postgres://k3s:***@db:5432/k3s").And.Contain("server said no");
    }

    [Fact]
    public void Mismatch_EmptyOrOwnDatabase_IsAccepted()
    {
        PostgresSchema.Mismatch(new Dictionary<string, string>(), null).Should().BeNull();
        PostgresSchema.Mismatch(new Dictionary<string, string> { ["unrelated"] = "a,b" }, null).Should().BeNull();
        PostgresSchema.Mismatch(new Dictionary<string, string>(PostgresSchema.Columns), PostgresSchema.Version).Should().BeNull();
    }

    [Fact]
    public void Mismatch_ForeignKineOrNewerDatabase_IsRefusedWithTheReason()
    {
        PostgresSchema.Mismatch(new Dictionary<string, string> { ["kine"] = "id,name" }, null).Should().Contain("kine database");
        PostgresSchema.Mismatch(new Dictionary<string, string> { ["kv"] = "id,data" }, null).Should().Contain("table 'kv' has columns (id,data)");
        PostgresSchema.Mismatch(new Dictionary<string, string> { ["kv"] = PostgresSchema.Columns["kv"] }, null).Should().Contain("no datastore layout version");
        PostgresSchema.Mismatch(new Dictionary<string, string>(PostgresSchema.Columns), PostgresSchema.Version + 1).Should().Contain($"layout {PostgresSchema.Version + 1}");
    }
}
