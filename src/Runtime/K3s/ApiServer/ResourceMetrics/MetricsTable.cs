using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Tables;

namespace K3sLab.K3s.ApiServer.ResourceMetrics;

/// <summary>
/// The table metrics-server gives <c>kubectl get nodemetrics</c> and <c>kubectl get podmetrics</c>: Name, then each
/// usage (<c>cpu</c>, <c>memory</c>, sorted; a pod's summed over its containers) as a quantity, then Window.
/// </summary>
internal static class MetricsTable
{
    public static IReadOnlyList<TableColumn> Columns { get; } =
    [
        new("Name", "string", "Name of the resource", (o, _) => o["metadata"]?["name"]?.GetValue<string>(), Format: "name"),
        new("cpu", "string", string.Empty, (o, _) => MetricsDocuments.Cpu(Sum(o, "cpu", ParseCpu)), Format: "quantity"),
        new("memory", "string", string.Empty, (o, _) => MetricsDocuments.Memory(Sum(o, "memory", ParseMemory)), Format: "quantity"),
        new("Window", "string", string.Empty, (o, _) => o["window"]?.GetValue<string>(), Format: "duration"),
    ];

    private static long Sum(JsonObject metrics, string resource, Func<string, long> parse) =>
        (metrics["containers"] as JsonArray)?.OfType<JsonObject>().Sum(c => parse(c["usage"]?[resource]?.GetValue<string>() ?? "0"))
            ?? parse(metrics["usage"]?[resource]?.GetValue<string>() ?? "0");

    /// <summary>Reads back what <see cref="MetricsDocuments.Cpu"/> writes, in nanocores.</summary>
    private static long ParseCpu(string quantity) => quantity[^1] switch
    {
        'n' => Number(quantity[..^1]),
        'u' => Number(quantity[..^1]) * 1_000,
        'm' => Number(quantity[..^1]) * 1_000_000,
        _ => Number(quantity) * 1_000_000_000,
    };

    /// <summary>Reads back what <see cref="MetricsDocuments.Memory"/> writes, in bytes.</summary>
    private static long ParseMemory(string quantity)
    {
        string[] suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi"];
        var index = Array.FindIndex(suffixes, s => quantity.EndsWith(s, StringComparison.Ordinal));
        return index < 0 ? Number(quantity) : Number(quantity[..^2]) << (10 * (index + 1));
    }

    private static long Number(string text) => long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
}
