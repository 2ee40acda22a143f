using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Tables;

/// <summary>Turns objects into a <c>meta.k8s.io Table</c> with the kind's columns, as kube-apiserver answers <c>kubectl get</c>. Pure.</summary>
internal static class TableConverter
{
    public static JsonObject Convert(TableRequest request, IReadOnlyList<TableColumn> columns, IEnumerable<JsonObject> objects, JsonObject? listMetadata, DateTimeOffset now)
    {
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var row = new JsonObject { ["cells"] = new JsonArray(columns.Select(c => c.Cell(obj, now)?.DeepClone()).ToArray()) };
            var embedded = request.Include switch
            {
                IncludeObject.Object => obj.DeepClone(),
                IncludeObject.Metadata => new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = $"meta.k8s.io/{request.Version}",
                    ["metadata"] = obj["metadata"]?.DeepClone(),
                },
                _ => null,
            };
            if (embedded is not null)
            {
                row["object"] = embedded;
            }

            rows.Add((JsonNode)row);
        }

        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = $"meta.k8s.io/{request.Version}",
            ["metadata"] = listMetadata?.DeepClone() ?? new JsonObject(),
            ["columnDefinitions"] = new JsonArray(columns.Select(c => (JsonNode)c.Definition()).ToArray()),
            ["rows"] = rows,
        };
        return table;
    }
}
