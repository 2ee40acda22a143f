namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>One member's revision and HashKV at the common revision, after the run.</summary>
/// <param name="Node">The server.</param>
/// <param name="Revision">Its revision (null: it did not answer).</param>
/// <param name="Hash">Its HashKV at the common revision (null: not asked or no answer).</param>
/// <param name="CompactRevision">The compaction the hash was taken after: HashKV covers the history a member still holds, so hashes compare only between members compacted to the same revision (null: unknown).</param>
public sealed record MemberDigest(string Node, long? Revision, uint? Hash, long? CompactRevision = null);

/// <summary>
/// After the run every datastore member reached the same revision and has the same HashKV at it, taken after the
/// same compaction: the replicas hold the same data, byte for byte as etcd hashes it. As in etcd's own corruption
/// check, hashes taken after different compactions are not compared: that is reported as undecided, never as a match.
/// </summary>
public static class ConvergedCheck
{
    public static CheckResult Run(IReadOnlyList<MemberDigest> digests)
    {
        var summary = string.Join(", ", digests.Select(d => $"{d.Node} r{Text(d.Revision)} hash {(d.Hash is { } h ? h.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) : "?")}"
            + (d.CompactRevision is { } c ? $" (compacted at {Text(c)})" : string.Empty)));
        var answered = digests.Count > 0 && digests.All(d => d.Revision is not null && d.Hash is not null);
        if (answered && digests.Select(d => d.CompactRevision).Distinct().Count() > 1)
        {
            return CheckResult.Fail("converged", $"undecided: the members' hashes were taken after different compactions: {summary}", digests.Select(d => d.ToString()));
        }

        var ok = answered
            && digests.Select(d => d.Revision).Distinct().Count() == 1
            && digests.Select(d => d.Hash).Distinct().Count() == 1;
        return ok ? CheckResult.Pass("converged", summary) : CheckResult.Fail("converged", $"members differ or did not answer: {summary}", digests.Select(d => d.ToString()));
    }

    private static string Text(long? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
}
