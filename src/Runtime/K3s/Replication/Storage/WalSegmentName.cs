using System.Globalization;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// A segment's file name: <c>&lt;sequence&gt;-&lt;first index&gt;.wal</c>, both 16 hex digits, so names sort in
/// sequence order. The first index is the index the next entry had when the segment started; with follower
/// truncations a later segment can name a lower index than an earlier one.
/// </summary>
internal readonly record struct WalSegmentName(ulong Sequence, ulong FirstIndex)
{
    public const string Extension = ".wal";

    /// <summary>The suffix of a segment being started; one left behind by a crash is removed at open.</summary>
    public const string TempSuffix = ".tmp";

    public string FileName => $"{Sequence:x16}-{FirstIndex:x16}{Extension}";

    public static bool TryParse(string fileName, out WalSegmentName name)
    {
        name = default;
        if (fileName.Length != 33 + Extension.Length || !fileName.EndsWith(Extension, StringComparison.Ordinal) || fileName[16] != '-')
        {
            return false;
        }

        if (!ulong.TryParse(fileName.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var sequence) ||
            !ulong.TryParse(fileName.AsSpan(17, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var first))
        {
            return false;
        }

        name = new WalSegmentName(sequence, first);
        return true;
    }

    /// <summary>The segments in <paramref name="directory"/>, in sequence order.</summary>
    public static List<WalSegmentName> List(string directory)
    {
        var names = new List<WalSegmentName>();
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            if (TryParse(Path.GetFileName(path), out var name))
            {
                names.Add(name);
            }
        }

        names.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return names;
    }
}
