using System.Text.Json.Nodes;
using static K3sLab.K3s.ApiServer.Resources.Tables.Json;

namespace K3sLab.K3s.ApiServer.Resources.Tables;

/// <summary>
/// kube-aggregator's APIService printer: the service behind it (<c>Local</c> for a group the server serves itself)
/// and its <c>Available</c> condition, with the reason in parentheses when it is not <c>True</c>.
/// </summary>
internal static partial class TableColumns
{
    private static TableColumn[] ApiServiceColumns() => [
        Name,
        new("Service", "string", "The reference to the service that hosts this API endpoint.", (o, _) =>
            At(o, "spec.service") is JsonObject ? $"{Str(o, "spec.service.namespace")}/{Str(o, "spec.service.name")}" : "Local"),
        new("Available", "string", "Whether this service is available.", (o, _) => Availability(o)),
        Age];

    private static string Availability(JsonObject apiService) =>
        Objects(apiService, "status.conditions").FirstOrDefault(c => Str(c, "type") == "Available") is not { } condition ? "Unknown"
        : Str(condition, "status") == "True" ? "True"
        : $"{Str(condition, "status")} ({Str(condition, "reason")})";
}
