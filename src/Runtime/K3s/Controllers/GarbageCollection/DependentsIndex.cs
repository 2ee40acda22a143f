using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.GarbageCollection;

/// <summary>
/// The collector's graph of the watched objects (upstream's GraphBuilder, reduced to two maps): each object's key by
/// uid, and the keys of the objects that reference each owner uid. Updated from the cache handlers with each change;
/// read by reconciles. Thread-safe.
/// </summary>
internal sealed class DependentsIndex
{
    private readonly ConcurrentDictionary<string, string> _keyByUid = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _dependents = new(StringComparer.Ordinal);

    /// <summary>Records a change of the object with <paramref name="key"/> (null before: created; null after: deleted).</summary>
    public void Update(string key, JsonObject? before, JsonObject? after)
    {
        if (before is not null)
        {
            foreach (var owner in OwnerUids(before))
            {
                if (_dependents.TryGetValue(owner, out var set))
                {
                    set.TryRemove(key, out _);
                }
            }

            if (after is null)
            {
                _keyByUid.TryRemove(ObjectKeys.Uid(before), out _);
            }
        }

        if (after is not null)
        {
            _keyByUid[ObjectKeys.Uid(after)] = key;
            foreach (var owner in OwnerUids(after))
            {
                _dependents.GetOrAdd(owner, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))[key] = 0;
            }
        }
    }

    /// <summary>The key of the watched object with <paramref name="uid"/>, if any.</summary>
    public string? KeyOf(string uid) => _keyByUid.GetValueOrDefault(uid);

    /// <summary>The keys of the objects that reference <paramref name="uid"/> as an owner.</summary>
    public IReadOnlyList<string> DependentsOf(string uid) =>
        _dependents.TryGetValue(uid, out var set) ? [.. set.Keys] : [];

    /// <summary>The owner uids <paramref name="obj"/> references.</summary>
    public static IEnumerable<string> OwnerUids(JsonObject obj) =>
        obj.Obj("metadata").Arr("ownerReferences")?.OfType<JsonObject>().Select(r => r.Str("uid") ?? string.Empty).Where(u => u.Length > 0).Distinct() ?? [];
}
