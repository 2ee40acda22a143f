using System.Globalization;
using System.Text;

namespace K3sLab.K3s.Controllers.Jobs;

/// <summary>
/// An Indexed Job's <c>status.completedIndexes</c>: ascending indexes written as comma-separated numbers and
/// ranges (<c>1,3-5,7</c>). Unparseable parts are ignored, as the Job controller does.
/// </summary>
internal static class CompletedIndexes
{
    public static SortedSet<int> Parse(string? text)
    {
        var set = new SortedSet<int>();
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-');
            if (bounds.Length is 1 or 2
                && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var low)
                && int.TryParse(bounds[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var high))
            {
                for (var i = low; i <= high; i++)
                {
                    set.Add(i);
                }
            }
        }

        return set;
    }

    public static string Format(IEnumerable<int> indexes)
    {
        var text = new StringBuilder();
        var sorted = indexes.Distinct().Order().ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            var start = sorted[i];
            while (i + 1 < sorted.Count && sorted[i + 1] == sorted[i] + 1)
            {
                i++;
            }

            text.Append(text.Length > 0 ? "," : string.Empty).Append(start.ToString(CultureInfo.InvariantCulture));
            if (sorted[i] != start)
            {
                text.Append('-').Append(sorted[i].ToString(CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
