using System.Text.Json.Nodes;
using static K3sLab.K3s.ApiServer.Resources.Tables.Json;

namespace K3sLab.K3s.ApiServer.Resources.Tables;

/// <summary>
/// kube-apiserver's PodDisruptionBudget printer: each bound as written (an integer or a percentage), <c>N/A</c> for
/// the one not set, and the disruptions the controller last allowed.
/// </summary>
internal static partial class TableColumns
{
    private static TableColumn[] PodDisruptionBudgetColumns() => [
        Name,
        new("Min Available", "string", "The minimum number of pods that must be available.", (o, _) => Bound(o, "spec.minAvailable")),
        new("Max Unavailable", "string", "The maximum number of pods that may be unavailable.", (o, _) => Bound(o, "spec.maxUnavailable")),
        new("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time.", (o, _) => Long(o, "status.disruptionsAllowed")),
        Age];

    private static string Bound(JsonObject o, string path) => At(o, path) switch
    {
        null => "N/A",
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        _ => Invariant(Long(o, path)),
    };
}
