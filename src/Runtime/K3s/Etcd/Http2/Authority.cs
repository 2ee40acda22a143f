namespace K3sLab.K3s.Etcd.Http2;

/// <summary>
/// Turns the <c>:authority</c> that etcdctl 3.4 sends for its per-endpoint calls (the whole endpoint URL, such as
/// <c>http://127.0.0.1:2379</c>) into the host and port HTTP/2 expects (RFC 9113 section 8.3.1).
/// </summary>
internal static class Authority
{
    /// <summary>
    /// <paramref name="value"/> without a leading <c>scheme://</c> and without any path, query or fragment; the
    /// value itself when it has neither.
    /// </summary>
    public static ReadOnlySpan<byte> Normalize(ReadOnlySpan<byte> value)
    {
        var separator = value.IndexOf("://"u8);
        if (separator > 0 && IsScheme(value[..separator]))
        {
            value = value[(separator + 3)..];
        }

        var end = value.IndexOfAny("/?#"u8);
        return end < 0 ? value : value[..end];
    }

    /// <summary>RFC 3986 section 3.1: a letter, then letters, digits, '+', '-' or '.'.</summary>
    private static bool IsScheme(ReadOnlySpan<byte> text)
    {
        if (!char.IsAsciiLetter((char)text[0]))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit((char)c) && c is not (byte)'+' and not (byte)'-' and not (byte)'.')
            {
                return false;
            }
        }

        return true;
    }
}
