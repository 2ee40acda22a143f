namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>One member's revision and HashKV at the common revision, after the run.</summary>
/// <param name="Node">The server.</param>
/// <param name="Revision">Its revision (null: it did not answer).</param>
/// <param name="Hash">Its HashKV at the common revision (null: not asked or no answer).</param>
public sealed record MemberDigest(string Node, long? Revision, uint? Hash);

/// <summary>
/// After the run every datastore member reached the same revision and has the same HashKV at it: the replicas
/// hold the same data, byte for byte as etcd hashes it.
/// </summary>
public static class ConvergedCheck
{
    public static CheckResult Run(IReadOnlyList<MemberDigest> digests)
    {
        var summary = string.Join(", ", digests.Select(d => $"{d.Node} r{d.Revision?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} hash {(d.Hash is { } h ? h.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) : "?")}"));
        var ok = digests.Count > 0
            && digests.All(d => d.Revision is not null && d.Hash is not null)
            && digests.Select(d => d.Revision).Distinct().Count() == 1
            && digests.Select(d => d.Hash).Distinct().Count() == 1;
        return ok ? CheckResult.Pass("converged", summary) : CheckResult.Fail("converged", $"members differ or did not answer: {summary}", digests.Select(d => d.ToString()));
    }
}
