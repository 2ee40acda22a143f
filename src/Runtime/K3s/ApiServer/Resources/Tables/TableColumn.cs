using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Tables;

/// <summary>
/// One column of a server-side table: its definition as <c>meta.k8s.io/v1 Table</c> describes it (priority 1 =
/// shown only by <c>-o wide</c>) and how to compute its cell from an object at a given time.
/// </summary>
internal sealed record TableColumn(string Name, string Type, string Description, Func<JsonObject, DateTimeOffset, JsonNode?> Cell, int Priority = 0, string Format = "")
{
    public JsonObject Definition() => new()
    {
        ["name"] = Name,
        ["type"] = Type,
        ["format"] = Format,
        ["description"] = Description,
        ["priority"] = Priority,
    };
}
