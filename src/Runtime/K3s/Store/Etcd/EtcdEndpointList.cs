using System.Globalization;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>
/// The etcd cluster <c>--datastore-endpoint</c> names: a comma-separated list of <c>http://</c> or <c>https://</c>
/// client URLs with their ports, as k3s hands the list to etcd's client. Pure: parsing and redaction only.
/// </summary>
/// <remarks>
/// Every place that prints an endpoint goes through <see cref="Redact(Uri)"/>, so a password in a URL never reaches
/// a log line or an error message. This build has no etcd user authentication (etcd's Auth service): an endpoint
/// with a user name is refused by name rather than connected to without its credentials.
/// </remarks>
internal sealed record EtcdEndpointList(IReadOnlyList<Uri> Endpoints)
{
    /// <summary>The endpoints, redacted and comma-separated, as error messages name them.</summary>
    public string Describe() => string.Join(",", Endpoints.Select(Redact));

    /// <summary>True when any endpoint uses TLS, so the TLS files apply.</summary>
    public bool AnyTls => Endpoints.Any(e => e.Scheme == Uri.UriSchemeHttps);

    /// <summary>Parses the flag's value; throws <see cref="StoreException"/> (NotSupported) naming the bad endpoint, redacted.</summary>
    public static EtcdEndpointList Parse(string value)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw Refused(value, "names no etcd endpoint; give one or more client URLs such as https://10.0.0.1:2379,https://10.0.0.2:2379");
        }

        var endpoints = new List<Uri>(parts.Length);
        foreach (var part in parts)
        {
            endpoints.Add(ParseOne(part));
        }

        if (endpoints.Select(e => e.GetLeftPart(UriPartial.Authority)).Distinct(StringComparer.OrdinalIgnoreCase).Count() != endpoints.Count)
        {
            throw Refused(value, "names an etcd endpoint twice");
        }

        return new EtcdEndpointList(endpoints);
    }

    /// <summary>The endpoint without its password: <c>https://user:***@host:2379</c>.</summary>
    public static string Redact(Uri endpoint)
    {
        var authority = $"{endpoint.Host}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}";
        if (endpoint.HostNameType == UriHostNameType.IPv6)
        {
            authority = $"[{endpoint.IdnHost}]:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}";
        }

        return endpoint.UserInfo.Length == 0
            ? $"{endpoint.Scheme}://{authority}"
            : $"{endpoint.Scheme}://{RedactUserInfo(endpoint.UserInfo)}@{authority}";
    }

    /// <summary>Redacts text that may not parse as a URL: everything between the user name and the <c>@</c> becomes <c>***</c>.</summary>
    public static string Redact(string text)
    {
        var parts = text.Split(',');
        for (var i = 0; i < parts.Length; i++)
        {
            var scheme = parts[i].IndexOf("://", StringComparison.Ordinal);
            var at = parts[i].LastIndexOf('@');
            if (at > scheme && scheme >= 0)
            {
                var start = scheme + 3;
                parts[i] = parts[i][..start] + RedactUserInfo(parts[i][start..at]) + parts[i][at..];
            }
        }

        return string.Join(",", parts);
    }

    private static string RedactUserInfo(string userInfo)
    {
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? userInfo : userInfo[..colon] + ":***";
    }

    private static Uri ParseOne(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw Refused(text, "is not a URL such as https://10.0.0.1:2379");
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw Refused(text, "is not an etcd client URL: use http:// or https://");
        }

        if (!HasExplicitPort(text))
        {
            throw Refused(text, "names no port; etcd serves clients on 2379 by default, e.g. https://10.0.0.1:2379");
        }

        if (uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw Refused(text, "has a path or query; an etcd client URL is just scheme://host:port");
        }

        if (uri.UserInfo.Length > 0)
        {
            throw Refused(text, "carries a user name: etcd user authentication is not supported by this build; authenticate with a client certificate (--datastore-certfile, --datastore-keyfile)");
        }

        return uri;
    }

    /// <summary>Uri fills in 80/443 silently; the authority itself must end in <c>:port</c>.</summary>
    private static bool HasExplicitPort(string text)
    {
        var authority = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var end = authority.IndexOfAny(['/', '?', '#']);
        authority = end < 0 ? authority : authority[..end];
        authority = authority[(authority.LastIndexOf('@') + 1)..];
        var colon = authority.LastIndexOf(':');
        return colon > authority.LastIndexOf(']') && colon < authority.Length - 1;
    }

    private static StoreException Refused(string text, string why) =>
        new(StoreError.NotSupported, $"--datastore-endpoint {Redact(text)} {why}");
}
