namespace K3sLab.K3s.Store;

/// <summary>
/// etcd's compare semantics. A compare over keys that do not exist holds against a zero record, except a value
/// compare, which fails; over several keys every key must satisfy it. Pure.
/// </summary>
internal static class CompareEvaluation
{
    public static bool Holds(Compare compare, IReadOnlyList<KeyValue> found)
    {
        if (found.Count == 0)
        {
            return compare.Target != CompareTarget.Value && Holds(compare, Zero);
        }

        foreach (var kv in found)
        {
            if (!Holds(compare, kv))
            {
                return false;
            }
        }

        return true;
    }

    private static readonly KeyValue Zero = new([], 0, 0, 0, [], 0);

    private static bool Holds(Compare compare, KeyValue kv)
    {
        var order = compare.Target switch
        {
            CompareTarget.Version => kv.Version.CompareTo(compare.Number),
            CompareTarget.Create => kv.CreateRevision.CompareTo(compare.Number),
            CompareTarget.Mod => kv.ModRevision.CompareTo(compare.Number),
            CompareTarget.Lease => kv.Lease.CompareTo(compare.Number),
            CompareTarget.Value => kv.Value.AsSpan().SequenceCompareTo(compare.Value),
            _ => throw new StoreException(StoreError.NotSupported, $"compare target {compare.Target} is not supported"),
        };
        return compare.Result switch
        {
            CompareResult.Equal => order == 0,
            CompareResult.NotEqual => order != 0,
            CompareResult.Greater => order > 0,
            CompareResult.Less => order < 0,
            _ => throw new StoreException(StoreError.NotSupported, $"compare result {compare.Result} is not supported"),
        };
    }
}
