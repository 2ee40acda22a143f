using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.Lab.Bench;

/// <summary>Parses a baseline file, refusing anything that is not exactly <see cref="BenchBaseline.Format"/> with a message naming the problem.</summary>
internal static class BaselineReader
{
    public static BenchBaseline Parse(string json, string source)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new BenchInputException($"{source} is not JSON ({e.Message}); a baseline is a '{BenchBaseline.Format}' JSON file");
        }

        if (root is not JsonObject file)
        {
            throw new BenchInputException($"{source} is not a JSON object; a baseline is a '{BenchBaseline.Format}' JSON object");
        }

        var format = file["format"] is JsonValue f && f.TryGetValue<string>(out var text) ? text : null;
        if (format != BenchBaseline.Format)
        {
            throw new BenchInputException(format is null
                ? $"{source} has no \"format\" field, so it is not a baseline (results files are passed with --results, baselines with --baseline; expected format '{BenchBaseline.Format}')"
                : $"{source} is of format '{format}', not '{BenchBaseline.Format}': this k3slab cannot read it");
        }

        if (file["metrics"] is not JsonArray { Count: > 0 } metrics)
        {
            throw new BenchInputException($"{source} lists no metrics (a non-empty \"metrics\" array)");
        }

        var read = metrics.Select((m, i) => Metric(m, $"{source}: metrics[{i}]")).ToList();
        if (read.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new BenchInputException($"{source} names metric '{duplicate.Key}' more than once");
        }

        return new BenchBaseline(file["description"]?.GetValue<string>() ?? string.Empty, read);
    }

    private static BaselineMetric Metric(JsonNode? node, string where)
    {
        if (node is not JsonObject m)
        {
            throw new BenchInputException($"{where} is not an object");
        }

        var name = Text(m, "name", where);
        where = $"{where} ('{name}')";
        var pointer = Text(m, "pointer", where);
        if (!pointer.StartsWith('/'))
        {
            throw new BenchInputException($"{where}: pointer '{pointer}' is not a JSON pointer (it starts with '/', e.g. /benchmarks/Store.Append/bytesPerOperation)");
        }

        var better = Text(m, "better", where) switch
        {
            "lower" => Better.Lower,
            "higher" => Better.Higher,
            var other => throw new BenchInputException($"{where}: better is '{other}'; it is 'lower' or 'higher'"),
        };
        var tolerance = Number(m, "tolerance", where);
        var slack = m.ContainsKey("slack") ? Number(m, "slack", where) : 0;
        if (tolerance is < 0 or >= 10 || slack < 0)
        {
            throw new BenchInputException($"{where}: tolerance {tolerance} and slack {slack} must be non-negative (tolerance is relative: 0.1 is 10 %)");
        }

        return new BaselineMetric(name, Text(m, "results", where), pointer, Number(m, "expected", where), better, tolerance, slack);
    }

    private static string Text(JsonObject m, string field, string where) =>
        m[field] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0
            ? s
            : throw new BenchInputException($"{where} has no \"{field}\" text");

    private static double Number(JsonObject m, string field, string where) =>
        m[field] is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d)
            ? d
            : throw new BenchInputException($"{where} has no \"{field}\" number");
}
