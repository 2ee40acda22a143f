namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// The differential check: the same etcdctl script against a reference store and a candidate store, both empty at
/// the start, run side by side; the normalised transcripts must be equal, or the failure shows their diff by step.
/// </summary>
internal static class EtcdctlDifferential
{
    public static async Task AssertSameTranscriptAsync(EtcdApiServer reference, EtcdApiServer candidate, CancellationToken ct)
    {
        var steps = EtcdctlScript.Parse(await File.ReadAllTextAsync(EtcdctlScript.Locate(), ct));

        // Side by side: the stores are independent, and the lease-expiry wait then costs its time once.
        var runs = await Task.WhenAll(
            new EtcdctlScriptRunner(reference).RunAsync(steps, ct),
            new EtcdctlScriptRunner(candidate).RunAsync(steps, ct));

        var expected = new EtcdctlTranscript().Normalise(runs[0]);
        var actual = new EtcdctlTranscript().Normalise(runs[1]);
        await WriteTranscriptsAsync(steps, [(reference.Name, expected), (candidate.Name, actual)], ct);
        var diff = TranscriptDiff.Create(steps, $"{reference.Name} (reference)", expected, candidate.Name, actual);

        if (diff.Length > 0)
        {
            diff += $"\n{candidate.Name}, the last 40 lines of its log:\n{string.Join('\n', candidate.Log.Split('\n').TakeLast(40))}";
        }

        diff.Should().BeEmpty("{0} must answer every step of {1} as {2} does", candidate.Name, EtcdctlScript.FileName, reference.Name);
    }

    /// <summary>
    /// With <c>K3SLAB_TRANSCRIPT_DIR</c> set, writes each store's normalised transcript there, step by step, to read
    /// or to diff by hand (for instance when the script changes and the watch's line count must follow).
    /// </summary>
    private static async Task WriteTranscriptsAsync(IReadOnlyList<EtcdctlStep> steps, (string Name, IReadOnlyList<IReadOnlyList<string>> Lines)[] transcripts, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("K3SLAB_TRANSCRIPT_DIR") is not { Length: > 0 } dir)
        {
            return;
        }

        Directory.CreateDirectory(dir);
        foreach (var (name, lines) in transcripts)
        {
            var text = string.Concat(steps.Select((step, i) => $"## step {i + 1}, {step}\n{string.Concat(lines[i].Select(l => l + "\n"))}"));
            var file = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));
            await File.WriteAllTextAsync(Path.Combine(dir, $"{file}.transcript.txt"), text, ct);
        }
    }
}
