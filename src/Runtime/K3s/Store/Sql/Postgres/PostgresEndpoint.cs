using System.Globalization;

namespace K3sLab.K3s.Store.Sql.Postgres;

/// <summary>
/// A <c>--datastore-endpoint postgres://user:password@host:port/database?sslmode=...</c> as k3s (kine) reads it:
/// the port defaults to 5432 and the database to <c>kubernetes</c>; user and password are percent-decoded. The
/// query may carry <c>sslmode</c>, <c>sslrootcert</c>, <c>sslcert</c>, <c>sslkey</c> and <c>connect_timeout</c>;
/// anything else is refused rather than silently ignored. Pure: parsing and redaction only.
/// </summary>
internal sealed record PostgresEndpoint(string Host, int Port, string User, string Password, string Database)
{
    public const string DefaultDatabase = "kubernetes";

    private static readonly string[] SslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

    /// <summary>lib/pq's sslmode; null when the endpoint names none (then Npgsql's default, prefer, applies).</summary>
    public string? SslMode { get; init; }

    public string? SslRootCert { get; init; }

    public string? SslCert { get; init; }

    public string? SslKey { get; init; }

    /// <summary>Seconds to wait for a connection to open; null for the default.</summary>
    public int? ConnectTimeout { get; init; }

    /// <summary>The endpoint with the password replaced by <c>***</c>, for every message and log line.</summary>
    public string Redacted => $"postgres://{Uri.EscapeDataString(User)}:***@{HostPort}/{Database}";

    private string HostPort => (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses the endpoint; a malformed one throws <see cref="FormatException"/> with a message that names it redacted.</summary>
    public static PostgresEndpoint Parse(string endpoint)
    {
        var shown = Redact(endpoint);
        var schemeEnd = endpoint.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? string.Empty : endpoint[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("postgres" or "postgresql"))
        {
            throw new FormatException($"datastore endpoint '{shown}' is not a postgres:// endpoint");
        }

        if (!Uri.TryCreate("postgres" + endpoint[schemeEnd..], UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new FormatException($"datastore endpoint '{shown}' is not of the form postgres://user:password@host:port/database");
        }

        var userInfo = uri.UserInfo;
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        var user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
        var password = colon < 0 ? string.Empty : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        if (user.Length == 0)
        {
            throw new FormatException($"datastore endpoint '{shown}' names no user: use postgres://user:password@host:port/database");
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        var parsed = new PostgresEndpoint(uri.Host.Trim('[', ']'), uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port, user, password, database.Length == 0 ? DefaultDatabase : database);
        return WithQuery(parsed, uri.Query, shown);
    }

    /// <summary>
    /// The endpoint with any password replaced by <c>***</c>, also when it does not parse (for the error that says
    /// so): everything between the first colon after <c>://</c> and the last <c>@</c> before the path.
    /// </summary>
    public static string Redact(string endpoint)
    {
        var start = endpoint.IndexOf("://", StringComparison.Ordinal);
        if (start < 0)
        {
            return endpoint;
        }

        start += 3;
        var pathStart = endpoint.IndexOfAny(['/', '?'], start);
        var authority = pathStart < 0 ? endpoint[start..] : endpoint[start..pathStart];
        var at = authority.LastIndexOf('@');
        if (at < 0)
        {
            return endpoint;
        }

        var colon = authority.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || colon > at)
        {
            return endpoint;
        }

        return endpoint[..(start + colon + 1)] + "***" + endpoint[(start + at)..];
    }

    private static PostgresEndpoint WithQuery(PostgresEndpoint endpoint, string query, string shown)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
            endpoint = key switch
            {
                "sslmode" when SslModes.Contains(value) => endpoint with { SslMode = value },
                "sslmode" => throw new FormatException($"datastore endpoint '{shown}': sslmode '{value}' is not one of {string.Join(", ", SslModes)}"),
                "sslrootcert" => endpoint with { SslRootCert = value },
                "sslcert" => endpoint with { SslCert = value },
                "sslkey" => endpoint with { SslKey = value },
                "connect_timeout" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 => endpoint with { ConnectTimeout = seconds },
                "connect_timeout" => throw new FormatException($"datastore endpoint '{shown}': connect_timeout must be a positive number of seconds"),
                _ => throw new FormatException($"datastore endpoint '{shown}': option '{key}' is not supported (sslmode, sslrootcert, sslcert, sslkey, connect_timeout are)"),
            };
        }

        return endpoint;
    }
}
