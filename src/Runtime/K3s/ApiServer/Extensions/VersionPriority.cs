using System.Globalization;
using System.Text.RegularExpressions;

namespace K3sLab.K3s.ApiServer.Extensions;

/// <summary>
/// Kubernetes' version order (discovery lists a group's versions this way; the first is preferred): GA before
/// beta before alpha, higher numbers first within each, then versions that do not look like Kubernetes
/// versions, alphabetically. <c>v2 &gt; v1 &gt; v1beta2 &gt; v1beta1 &gt; v1alpha1 &gt; foo</c>.
/// </summary>
internal sealed partial class VersionPriority : IComparer<string>
{
    public static readonly VersionPriority Comparer = new();

    public int Compare(string? x, string? y)
    {
        var (kx, ky) = (Key(x ?? string.Empty), Key(y ?? string.Empty));
        if (kx.Rank != ky.Rank)
        {
            return kx.Rank.CompareTo(ky.Rank);
        }

        if (kx.Rank == 3)
        {
            return string.CompareOrdinal(x, y);
        }

        return kx.Major != ky.Major ? ky.Major.CompareTo(kx.Major) : ky.Minor.CompareTo(kx.Minor);
    }

    private static (int Rank, int Major, int Minor) Key(string version)
    {
        var match = Shape().Match(version);
        if (!match.Success)
        {
            return (3, 0, 0);
        }

        var major = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var minor = match.Groups[3].Success ? int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
        return match.Groups[2].Value switch
        {
            "" => (0, major, 0),
            "beta" => (1, major, minor),
            _ => (2, major, minor),
        };
    }

    [GeneratedRegex(@"^v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
