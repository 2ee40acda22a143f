using System.Globalization;
using System.Text;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// A unified-style diff of two normalised transcripts, one hunk per step that differs, each headed by the step's
/// script line and text. Lines only in the reference start with '-', lines only in the candidate with '+'.
/// </summary>
internal static class TranscriptDiff
{
    /// <summary>The diff, or an empty string when every step printed the same.</summary>
    public static string Create(
        IReadOnlyList<EtcdctlStep> steps,
        string referenceName,
        IReadOnlyList<IReadOnlyList<string>> reference,
        string candidateName,
        IReadOnlyList<IReadOnlyList<string>> candidate)
    {
        var diff = new StringBuilder();
        var differing = 0;
        for (var i = 0; i < steps.Count; i++)
        {
            if (reference[i].SequenceEqual(candidate[i], StringComparer.Ordinal))
            {
                continue;
            }

            differing++;
            diff.Append(CultureInfo.InvariantCulture, $"@@ step {i + 1}, {steps[i]} @@\n");
            foreach (var line in Lines(reference[i], candidate[i]))
            {
                diff.Append(line).Append('\n');
            }
        }

        return differing == 0
            ? ""
            : $"{differing} of {steps.Count} steps differ\n--- {referenceName}\n+++ {candidateName}\n{diff}";
    }

    /// <summary>A line diff from the longest common subsequence (steps print a few lines, so quadratic is fine).</summary>
    private static IEnumerable<string> Lines(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var lcs = new int[a.Count + 1, b.Count + 1];
        for (var i = a.Count - 1; i >= 0; i--)
        {
            for (var j = b.Count - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        int x = 0, y = 0;
        while (x < a.Count || y < b.Count)
        {
            if (x < a.Count && y < b.Count && a[x] == b[y])
            {
                yield return " " + a[x++];
                y++;
            }
            else if (x < a.Count && (y == b.Count || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                yield return "-" + a[x++];
            }
            else
            {
                yield return "+" + b[y++];
            }
        }
    }
}
