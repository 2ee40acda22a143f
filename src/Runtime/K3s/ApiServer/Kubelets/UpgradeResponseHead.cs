using System.Globalization;
using System.Text;

namespace K3sLab.K3s.ApiServer.Kubelets;

/// <summary>
/// The status line and headers of an HTTP/1.1 response as the kubelet sends it to an upgrade request, and whatever
/// came after them in the same read (<see cref="Rest"/>: the first bytes of the upgraded protocol, or of an error
/// body). Parsed by hand because the connection outlives the exchange. Pure.
/// </summary>
internal sealed record UpgradeResponseHead(int Status, IReadOnlyList<(string Name, string Value)> Headers, byte[] Rest)
{
    /// <summary>The longest head accepted.</summary>
    public const int MaxLength = 64 * 1024;

    public string? this[string name] => Headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Parses <paramref name="buffer"/> if it holds a whole head; null when more bytes are needed.</summary>
    /// <exception cref="FormatException">Not an HTTP/1.x response.</exception>
    public static UpgradeResponseHead? TryParse(ReadOnlySpan<byte> buffer)
    {
        var end = buffer.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return buffer.Length > MaxLength ? throw new FormatException("the response head is too long") : null;
        }

        var lines = Encoding.Latin1.GetString(buffer[..end]).Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            throw new FormatException($"not an HTTP/1.1 response: {lines[0]}");
        }

        var headers = new List<(string, string)>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
            }
        }

        return new UpgradeResponseHead(code, headers, buffer[(end + 4)..].ToArray());
    }
}
