using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Strategic;

namespace K3sLab.K3s.ApiServer.Resources.Apply;

/// <summary>
/// The fields an applied configuration sets, in the <c>FieldsV1</c> form kube-apiserver records in
/// <c>metadata.managedFields</c>: <c>f:&lt;name&gt;</c> for fields, <c>k:{"name":"web"}</c> for items of lists merged by
/// a key, <c>v:"x"</c> for items of sets, and <c>.</c> for an item itself; other lists are owned whole. Also removes
/// from an object the fields a manager set before and no longer sets, which is what makes server-side apply
/// delete a field dropped from a manifest. Pure.
/// </summary>
internal static class FieldSet
{
    private static readonly string[] Unowned = ["apiVersion", "kind"];
    private static readonly string[] UnownedMetadata = ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"];

    public static JsonObject Of(JsonObject applied, PatchSchema schema)
    {
        var set = new JsonObject();
        foreach (var (name, value) in applied)
        {
            if (Unowned.Contains(name))
            {
                continue;
            }

            if (name == "metadata" && value is JsonObject metadata)
            {
                var owned = new JsonObject();
                foreach (var (field, inner) in metadata.Where(p => !UnownedMetadata.Contains(p.Key)))
                {
                    owned["f:" + field] = Node(inner, null);
                }

                if (owned.Count > 0)
                {
                    set["f:metadata"] = owned;
                }

                continue;
            }

            set["f:" + name] = Node(value, schema.Field(name));
        }

        return set;
    }

    /// <summary>Removes from <paramref name="live"/> what <paramref name="before"/> owned and <paramref name="now"/> does not.</summary>
    public static void RemoveDropped(JsonObject live, JsonObject before, JsonObject now, PatchSchema schema) =>
        RemoveFromMap(live, before, now, schema);

    private static JsonObject Node(JsonNode? value, PatchField? field)
    {
        switch (value)
        {
            case JsonObject map:
                var children = new JsonObject();
                foreach (var (name, inner) in map)
                {
                    children["f:" + name] = Node(inner, field?.Schema?.Field(name));
                }

                return children;
            case JsonArray list when field?.MergeKey is { } key:
                var items = new JsonObject();
                foreach (var item in list.OfType<JsonObject>())
                {
                    var owned = Node(item, new PatchField(field.Schema));
                    owned["."] = new JsonObject();
                    items[ItemKey(item, key)] = owned;
                }

                return items;
            case JsonArray set when field?.MergePrimitives == true:
                var values = new JsonObject();
                foreach (var item in set)
                {
                    values["v:" + (item?.ToJsonString() ?? "null")] = new JsonObject();
                }

                return values;
            default:
                return [];
        }
    }

    private static void RemoveFromMap(JsonObject live, JsonObject before, JsonObject now, PatchSchema? schema)
    {
        foreach (var (key, owned) in before)
        {
            if (!key.StartsWith("f:", StringComparison.Ordinal))
            {
                continue;
            }

            var name = key[2..];
            var children = owned as JsonObject ?? [];
            if (now[key] is not JsonObject still)
            {
                if (children.Count == 0)
                {
                    // A field owned whole and no longer applied.
                    live.Remove(name);
                    continue;
                }

                // Only the fields owned below it go: other writers' fields (and the metadata itself) stay.
                still = [];
            }
            else if (children.Count == 0 || still.Count == 0)
            {
                continue;
            }

            var field = name == "metadata" ? null : schema?.Field(name);
            switch (live[name])
            {
                case JsonObject map:
                    RemoveFromMap(map, children, still, field?.Schema);
                    if (map.Count == 0 && still.Count == 0 && name != "metadata")
                    {
                        live.Remove(name);
                    }

                    break;
                case JsonArray list when field?.MergeKey is { } mergeKey:
                    RemoveFromList(list, children, still, mergeKey, field.Schema);
                    break;
                case JsonArray set when field?.MergePrimitives == true:
                    foreach (var gone in children.Select(c => c.Key).Where(k => k.StartsWith("v:", StringComparison.Ordinal) && !still.ContainsKey(k)).ToList())
                    {
                        foreach (var item in set.Where(i => (i?.ToJsonString() ?? "null") == gone[2..]).ToList())
                        {
                            set.Remove(item);
                        }
                    }

                    break;
            }
        }
    }

    private static void RemoveFromList(JsonArray list, JsonObject before, JsonObject now, string mergeKey, PatchSchema? schema)
    {
        foreach (var item in list.OfType<JsonObject>().ToList())
        {
            var key = ItemKey(item, mergeKey);
            if (before[key] is not JsonObject owned)
            {
                continue;
            }

            if (now[key] is not JsonObject still)
            {
                list.Remove(item);
            }
            else
            {
                RemoveFromMap(item, owned, still, schema);
            }
        }
    }

    private static string ItemKey(JsonObject item, string mergeKey) =>
        "k:" + new JsonObject { [mergeKey] = item[mergeKey]?.DeepClone() }.ToJsonString();
}
