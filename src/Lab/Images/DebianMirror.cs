using System.Text.RegularExpressions;

namespace K3sLab.Lab.Images;

/// <summary>
/// Finds the Debian archive this host's apt already uses, so debootstrap fetches from the same reachable mirror.
/// Reads deb822 <c>*.sources</c> files and one-line <c>sources.list</c> entries; <c>K3SLAB_DEBIAN_MIRROR</c> overrides.
/// </summary>
internal static partial class DebianMirror
{
    public static string? Find(string aptDirectory = "/etc/apt")
    {
        if (Environment.GetEnvironmentVariable("K3SLAB_DEBIAN_MIRROR") is { Length: > 0 } configured)
        {
            return configured;
        }

        var listDir = Path.Combine(aptDirectory, "sources.list.d");
        var sources = Directory.Exists(listDir) ? Directory.GetFiles(listDir, "*.sources").Order(StringComparer.Ordinal) : Enumerable.Empty<string>();
        foreach (var file in sources)
        {
            if (FromDeb822(File.ReadAllText(file)) is { } uri)
            {
                return uri;
            }
        }

        var list = Path.Combine(aptDirectory, "sources.list");
        return File.Exists(list) ? FromOneLine(File.ReadAllLines(list)) : null;
    }

    /// <summary>The first stanza whose suites include a plain release (not -security or -updates) with component main.</summary>
    internal static string? FromDeb822(string text)
    {
        foreach (var stanza in Regex.Split(text, @"\n\s*\n"))
        {
            var fields = stanza.Split('\n')
                .Where(l => !l.TrimStart().StartsWith('#') && l.Contains(':'))
                .Select(l => l.Split(':', 2))
                .GroupBy(kv => kv[0].Trim(), StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.First()[1].Trim(), StringComparer.OrdinalIgnoreCase);
            if (fields.TryGetValue("Types", out var types) && types.Split(' ').Contains("deb")
                && fields.TryGetValue("Suites", out var suites) && suites.Split(' ').Any(IsRelease)
                && fields.TryGetValue("Components", out var components) && components.Split(' ').Contains("main")
                && fields.TryGetValue("URIs", out var uris))
            {
                return uris.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            }
        }

        return null;
    }

    internal static string? FromOneLine(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var match = OneLine().Match(line);
            if (match.Success && IsRelease(match.Groups["suite"].Value) && match.Groups["rest"].Value.Split(' ').Contains("main"))
            {
                return match.Groups["uri"].Value;
            }
        }

        return null;
    }

    private static bool IsRelease(string suite) => suite.Length > 0 && !suite.Contains('-') && !suite.Contains('/');

    [GeneratedRegex(@"^\s*deb\s+(\[[^\]]*\]\s+)?(?<uri>\S+)\s+(?<suite>\S+)\s+(?<rest>.*)$")]
    private static partial Regex OneLine();
}
