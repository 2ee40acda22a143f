using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Tables;
using K3sLab.K3s.ApiServer.Validation;

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
        new("cpu", "string", string.Empty, (o, _) => MetricsDocuments.Cpu(Sum(o, "cpu", 1_000_000_000m)), Format: "quantity"),
        new("memory", "string", string.Empty, (o, _) => MetricsDocuments.Memory(Sum(o, "memory", 1m)), Format: "quantity"),
        new("Window", "string", string.Empty, (o, _) => o["window"]?.GetValue<string>(), Format: "duration"),
    ];

    /// <summary>A usage in base units times <paramref name="scale"/>, summed over a pod's containers, read with the API's quantity parser.</summary>
    private static long Sum(JsonObject metrics, string resource, decimal scale) =>
        (metrics["containers"] as JsonArray)?.OfType<JsonObject>().Sum(c => Read(c["usage"]?[resource], scale)) ?? Read(metrics["usage"]?[resource], scale);

    private static long Read(JsonNode? quantity, decimal scale) => Quantity.TryRead(quantity, out var q) ? (long)(q.Value * scale) : 0;
}
