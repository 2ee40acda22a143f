namespace K3sLab.Raft.Tests;

/// <summary>Runs each testdata/*.txt script and compares the transcript; K3SLAB_REWRITE=1 regenerates the files.</summary>
[Trait("Category", "Unit")]
public sealed class GoldenTests
{
    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "testdata"), "*.txt").Order())
        {
            data.Add(Path.GetFileName(f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_Replayed_MatchesTranscript(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "testdata", name);
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        var actual = ScriptedCluster.Run(expected).ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("K3SLAB_REWRITE") == "1")
        {
            // Rewrite the source copy, not the build output, so the diff shows up in git.
            var source = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "testdata", name);
            File.WriteAllText(source, actual);
            return;
        }
        actual.Should().Be(expected, $"golden transcript {name} (rerun with K3SLAB_REWRITE=1 to regenerate, then review the diff)");
    }
}
