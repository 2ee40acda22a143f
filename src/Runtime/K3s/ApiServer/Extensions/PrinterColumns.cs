using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Tables;

namespace K3sLab.K3s.ApiServer.Extensions;

/// <summary>
/// The <c>kubectl get</c> columns of a custom resource: Name, then the version's <c>additionalPrinterColumns</c>, or
/// an Age column when it declares none (as kube-apiserver serves them). A <c>date</c> column shows an age such as
/// <c>5m</c>; other cells are the value the column's JSONPath finds, or nothing. Pure.
/// </summary>
internal static class PrinterColumns
{
    private static readonly TableColumn Name = new("Name", "string", "Name must be unique within a namespace. Cannot be updated.", (o, _) => o["metadata"]?["name"]?.DeepClone(), Format: "name");

    public static IReadOnlyList<TableColumn> For(JsonArray? declared)
    {
        var columns = new List<TableColumn> { Name };
        var definitions = declared?.OfType<JsonObject>().ToList() ?? [];
        if (definitions.Count == 0)
        {
            definitions.Add(new JsonObject { ["name"] = "Age", ["type"] = "date", ["jsonPath"] = ".metadata.creationTimestamp" });
        }

        foreach (var definition in definitions)
        {
            var path = Text(definition["jsonPath"]);
            var type = Text(definition["type"]) is { Length: > 0 } t ? t : "string";
            var description = Text(definition["description"]) is { Length: > 0 } d ? d : "Custom resource definition column (in JSONPath format): " + path;
            var priority = definition["priority"] is JsonValue p && p.TryGetValue<int>(out var n) ? n : 0;
            var evaluate = SimpleJsonPath.Compile(path);
            columns.Add(new TableColumn(Text(definition["name"]), type, description, (o, now) => Cell(type, evaluate(o), now), priority, Text(definition["format"])));
        }

        return columns;
    }

    private static JsonNode? Cell(string type, IReadOnlyList<JsonNode?> found, DateTimeOffset now)
    {
        if (found.Count == 0 || found[0] is null)
        {
            return null;
        }

        if (found.Count > 1)
        {
            return string.Join(',', found.Select(Render));
        }

        var value = found[0]!;
        if (type == "date")
        {
            return Json.Time(new JsonObject { ["t"] = value.DeepClone() }, "t") is { } time ? HumanDuration.Format(now - time) : Render(value);
        }

        return value is JsonValue ? value.DeepClone() : Render(value);
    }

    private static string Render(JsonNode? node) => node switch
    {
        null => string.Empty,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    private static string Text(JsonNode? node) => Validation.JsonFields.AsString(node) ?? string.Empty;
}
