using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.Lab.Bench;

/// <summary>
/// Reads the results files a baseline's metrics name from one directory: a file that is not JSON becomes a problem
/// naming it; a missing file is left out (the gate names the metrics it lacks).
/// </summary>
internal static class ResultsDirectory
{
    /// <exception cref="BenchInputException">The directory does not exist.</exception>
    public static (Dictionary<string, JsonNode> Files, List<string> Problems) Load(string directory, BenchBaseline baseline)
    {
        var files = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        var problems = new List<string>();
        if (!Directory.Exists(directory))
        {
            throw new BenchInputException($"results directory {directory} does not exist (run the suite with --out {directory} first)");
        }

        foreach (var name in baseline.Metrics.Select(m => m.Results).Distinct(StringComparer.Ordinal))
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                if (JsonNode.Parse(File.ReadAllText(path)) is { } root)
                {
                    files[name] = root;
                }
            }
            catch (JsonException e)
            {
                problems.Add($"{path} is not JSON ({e.Message})");
            }
        }

        return (files, problems);
    }
}
