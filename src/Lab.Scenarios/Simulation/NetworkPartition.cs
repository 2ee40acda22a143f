namespace K3sLab.Scenarios.Simulation;

/// <summary>The partition shapes the simulator injects (Jepsen's nemesis menu, made deterministic).</summary>
internal enum PartitionKind
{
    /// <summary>A random non-empty proper subset is cut from the rest, both ways.</summary>
    Split,
    /// <summary>One member is cut off, both ways.</summary>
    IsolateOne,
    /// <summary>The current leader (if any) is cut off, both ways.</summary>
    IsolateLeader,
    /// <summary>One way only: a random member is not heard by some others, while it still hears them.</summary>
    Asymmetric,
    /// <summary>Each member hears a different majority (members in a seeded ring, each hears the next quorum-1).</summary>
    MajoritiesRing,
}

/// <summary>Builds the cut links of a <see cref="PartitionKind"/> on a <see cref="SimulatedNetwork"/>.</summary>
internal static class NetworkPartition
{
    /// <summary>Replaces the network's cuts with a partition of <paramref name="kind"/>; returns a description for the trace.</summary>
    public static string Apply(SimulatedNetwork network, PartitionKind kind, int members, ulong leader, Random random)
    {
        network.ClearCuts();
        var ids = Enumerable.Range(1, members).Select(i => (ulong)i).ToArray();
        random.Shuffle(ids);
        switch (kind)
        {
            case PartitionKind.Split:
            {
                var size = 1 + random.Next(members - 1);
                var side = ids[..size];
                CutBetween(network, side, ids[size..]);
                return $"split [{string.Join(",", side.Order())}] | [{string.Join(",", ids[size..].Order())}]";
            }
            case PartitionKind.IsolateOne:
            case PartitionKind.IsolateLeader:
            {
                var victim = kind == PartitionKind.IsolateLeader && leader != 0 ? leader : ids[0];
                CutBetween(network, [victim], ids.Where(i => i != victim).ToArray());
                return $"isolate {victim}{(kind == PartitionKind.IsolateLeader ? " (leader)" : "")}";
            }
            case PartitionKind.Asymmetric:
            {
                var victim = ids[0];
                var deaf = ids[1..].Where(_ => random.Next(2) == 0).DefaultIfEmpty(ids[1]).ToArray();
                foreach (var d in deaf)
                {
                    network.Cut(victim, d);
                }
                return $"asymmetric: {victim} -/-> [{string.Join(",", deaf.Order())}] (but hears them)";
            }
            default:
            {
                var quorum = members / 2 + 1;
                for (var i = 0; i < members; i++)
                {
                    var hears = new HashSet<ulong>();
                    for (var k = 0; k < quorum; k++)
                    {
                        hears.Add(ids[(i + k) % members]);
                    }
                    foreach (var from in ids.Where(f => !hears.Contains(f)))
                    {
                        network.Cut(from, ids[i]);
                    }
                }
                return $"majorities ring [{string.Join(",", ids)}]";
            }
        }
    }

    /// <summary>Cuts every link between the two sides, both ways.</summary>
    public static void CutBetween(SimulatedNetwork network, ulong[] a, ulong[] b)
    {
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                network.Cut(x, y);
                network.Cut(y, x);
            }
        }
    }
}
