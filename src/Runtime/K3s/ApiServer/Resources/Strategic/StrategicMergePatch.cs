using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Resources.Strategic;

/// <summary>
/// Applies a strategic merge patch (what kubectl's <c>apply</c>, <c>edit</c> and <c>patch</c> send for built-in
/// kinds) as the kube-apiserver does: maps merge by field and <c>null</c> deletes; lists merge by their key or as
/// sets where the type says so, and are replaced otherwise; and the directives <c>$patch</c> (replace, delete,
/// merge), <c>$retainKeys</c>, <c>$setElementOrder/&lt;list&gt;</c> and <c>$deleteFromPrimitiveList/&lt;list&gt;</c>
/// are honoured. A malformed patch is a 400, never a guess. Pure.
/// </summary>
internal static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeys = "$retainKeys";
    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

    public static JsonObject Apply(JsonObject original, JsonObject patch, PatchSchema schema) =>
        MergeMap((JsonObject)original.DeepClone(), patch, schema) ?? throw ApiErrors.BadRequest("a strategic merge patch may not delete the whole object");

    /// <summary>Merges <paramref name="patch"/> into <paramref name="target"/> (owned, changed in place); null when the patch deletes the map.</summary>
    private static JsonObject? MergeMap(JsonObject target, JsonObject patch, PatchSchema schema)
    {
        switch (Directive(patch))
        {
            case "replace":
                return Strip(patch);
            case "delete":
                return null;
            case null or "merge":
                break;
            default:
                throw ApiErrors.BadRequest($"unknown patch type: {Directive(patch)} in map: {patch.ToJsonString()}");
        }

        // $setElementOrder interleaves by the positions items had on the server, before this patch.
        var serverLists = patch.Where(p => p.Key.StartsWith(SetElementOrder, StringComparison.Ordinal))
            .Select(p => p.Key[SetElementOrder.Length..])
            .ToDictionary(n => n, n => target[n] as JsonArray ?? [], StringComparer.Ordinal);
        foreach (var (name, value) in patch)
        {
            if (name.StartsWith('$'))
            {
                continue;
            }

            var field = schema.Field(name);
            if (value is null)
            {
                target.Remove(name);
                continue;
            }

            var current = target[name];
            target[name] = (value, current) switch
            {
                (JsonObject p, JsonObject c) => MergeMap((JsonObject)c.DeepClone(), p, field?.Schema ?? PatchSchema.None),
                (JsonObject p, _) => MergeMap([], p, field?.Schema ?? PatchSchema.None),
                (JsonArray p, _) => MergeList(current as JsonArray, p, field, name),
                _ => value.DeepClone(),
            };
            if (value is JsonObject && target[name] is null)
            {
                target.Remove(name);
            }
        }

        foreach (var (name, value) in patch)
        {
            if (name.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal))
            {
                var list = name[DeleteFromPrimitiveList.Length..];
                if (value is not JsonArray remove)
                {
                    throw ApiErrors.BadRequest($"{name} must hold a list");
                }

                if (target[list] is JsonArray items)
                {
                    target[list] = new JsonArray(items.Where(i => !remove.Any(r => JsonNode.DeepEquals(r, i))).Select(i => i?.DeepClone()).ToArray());
                }
            }
            else if (name.StartsWith(SetElementOrder, StringComparison.Ordinal))
            {
                var list = name[SetElementOrder.Length..];
                if (value is not JsonArray order)
                {
                    throw ApiErrors.BadRequest($"{name} must hold a list");
                }

                if (target[list] is JsonArray items)
                {
                    target[list] = Order(items, order, schema.Field(list)?.MergeKey, serverLists[list]);
                }
            }
        }

        if (patch[RetainKeys] is { } retain)
        {
            if (retain is not JsonArray keep || keep.Any(k => k is not JsonValue))
            {
                throw ApiErrors.BadRequest("$retainKeys must hold a list of field names");
            }

            var names = keep.Select(k => k!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            foreach (var name in target.Select(p => p.Key).Where(n => !names.Contains(n)).ToList())
            {
                target.Remove(name);
            }
        }

        return target;
    }

    private static JsonArray MergeList(JsonArray? current, JsonArray patch, PatchField? field, string name)
    {
        if (field is { MergeKey: { } key })
        {
            return MergeByKey(current ?? [], patch, key, field.Schema ?? PatchSchema.None, name);
        }

        if (field is { MergePrimitives: true })
        {
            var result = current is null ? new JsonArray() : (JsonArray)current.DeepClone();
            foreach (var item in patch)
            {
                if (item is JsonObject or JsonArray)
                {
                    throw ApiErrors.BadRequest($"{name} is a list of primitives; the patch holds {item.ToJsonString()}");
                }

                if (!result.Any(r => JsonNode.DeepEquals(r, item)))
                {
                    result.Add(item?.DeepClone());
                }
            }

            return result;
        }

        // Atomic lists: the patch's list is the new value. A $patch: replace element in it only says so explicitly.
        return new JsonArray(patch.Where(i => !(i is JsonObject o && Directive(o) == "replace" && o.Count == 1)).Select(i => i is JsonObject o ? Strip(o) : i?.DeepClone()).ToArray());
    }

    private static JsonArray MergeByKey(JsonArray current, JsonArray patch, string key, PatchSchema element, string name)
    {
        if (patch.Any(i => i is JsonObject o && Directive(o) == "replace"))
        {
            return new JsonArray(patch.OfType<JsonObject>().Where(o => Directive(o) != "replace").Select(o => (JsonNode)Strip(o)).ToArray());
        }

        var result = current.Select(i => i?.DeepClone()).ToList();
        foreach (var item in patch)
        {
            if (item is not JsonObject patchItem)
            {
                throw ApiErrors.BadRequest($"{name} is merged by \"{key}\"; its patch must hold objects, not {item?.ToJsonString() ?? "null"}");
            }

            if (patchItem[key] is not JsonValue keyValue)
            {
                throw ApiErrors.BadRequest($"map: {patchItem.ToJsonString()} does not contain declared merge key: {key}");
            }

            var index = result.FindIndex(r => r is JsonObject o && JsonNode.DeepEquals(o[key], keyValue));
            if (Directive(patchItem) == "delete")
            {
                if (index >= 0)
                {
                    result.RemoveAt(index);
                }

                continue;
            }

            if (index >= 0)
            {
                result[index] = MergeMap((JsonObject)result[index]!, patchItem, element);
            }
            else
            {
                result.Add(MergeMap([], patchItem, element));
            }
        }

        return new JsonArray(result.Where(r => r is not null).ToArray());
    }

    /// <summary>
    /// <c>$setElementOrder</c>: the items the patch names come in its order; items only the server has are
    /// interleaved by their server positions, and an item new to the server goes before any server-only item,
    /// as kube-apiserver's sorted-slice merge does.
    /// </summary>
    private static JsonArray Order(JsonArray items, JsonArray order, string? key, JsonArray server)
    {
        bool Same(JsonNode? item, JsonNode? other) =>
            key is null ? JsonNode.DeepEquals(item, other) : item is JsonObject o && other is JsonObject k && JsonNode.DeepEquals(o[key], k[key]);

        var list = items.ToList();
        var serverItems = server.ToList();
        int ServerIndex(int i) => serverItems.FindIndex(s => Same(list[i], s));

        var known = order.Select(o => list.FindIndex(i => Same(i, o))).Where(i => i >= 0).Distinct().ToList();
        var serverOnly = Enumerable.Range(0, list.Count).Where(i => !known.Contains(i)).OrderBy(ServerIndex).ToList();
        var merged = new List<int>(list.Count);
        int a = 0, b = 0;
        while (a < known.Count || b < serverOnly.Count)
        {
            if (b >= serverOnly.Count || (a < known.Count && ServerIndex(known[a]) < ServerIndex(serverOnly[b])))
            {
                merged.Add(known[a++]);
            }
            else
            {
                merged.Add(serverOnly[b++]);
            }
        }

        return new JsonArray(merged.Select(i => list[i]?.DeepClone()).ToArray());
    }

    private static string? Directive(JsonObject map) => map[PatchDirective] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var other => throw ApiErrors.BadRequest($"$patch must be a string, not {other.ToJsonString()}"),
    };

    /// <summary>A copy without directives, at every depth.</summary>
    private static JsonObject Strip(JsonObject map)
    {
        var copy = new JsonObject();
        foreach (var (name, value) in map)
        {
            if (name.StartsWith('$'))
            {
                continue;
            }

            copy[name] = value switch
            {
                JsonObject o => Strip(o),
                JsonArray a => new JsonArray(a.Select(i => i is JsonObject o ? Strip(o) : i?.DeepClone()).ToArray()),
                _ => value?.DeepClone(),
            };
        }

        return copy;
    }
}
