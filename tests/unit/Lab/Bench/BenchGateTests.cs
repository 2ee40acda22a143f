using System.Text.Json.Nodes;
using K3sLab.Lab.Bench;

namespace K3sLab.Lab.Tests.Bench;

[Trait("Category", "Unit")]
public sealed class BenchGateTests
{
    private static readonly BenchBaseline Baseline = new("test",
    [
        new BaselineMetric("append", "micro.json", "/benchmarks/Store.Append/bytesPerOperation", 1000, Better.Lower, 0.05, 16),
        new BaselineMetric("list", "micro.json", "/benchmarks/Json.WriteList/bytesPerOperation", 0, Better.Lower, 0.05, 16),
        new BaselineMetric("ratio", "store.json", "/ratios/0", 2.0, Better.Higher, 0.25),
    ]);

    [Fact]
    public void Compare_FiguresWithinTolerance_Passes()
    {
        var report = BenchGate.Compare(Baseline, Results(append: 1060, list: 8, ratio: 1.6));

        report.Rows.Select(r => r.Verdict).Should().Equal(GateVerdict.Pass, GateVerdict.Pass, GateVerdict.Pass);
        report.Problems.Should().BeEmpty();
        report.ExitCode.Should().Be(0);
    }

    [Fact]
    public void Compare_AllocationOnAZeroAllocationPath_Regresses()
    {
        var report = BenchGate.Compare(Baseline, Results(append: 1000, list: 48_000, ratio: 2.0));

        var list = report.Rows.Single(r => r.Metric == "list");
        list.Verdict.Should().Be(GateVerdict.Regressed);
        list.Change.Should().Be(double.PositiveInfinity);
        report.ExitCode.Should().Be(1);
    }

    [Fact]
    public void Compare_LowerIsBetterBeyondToleranceAndSlack_Regresses()
    {
        // 1,000 * 1.05 + 16 = 1,066 is the last passing figure.
        BenchGate.Judge(Baseline.Metrics[0], 1066).Verdict.Should().Be(GateVerdict.Pass);
        BenchGate.Judge(Baseline.Metrics[0], 1067).Verdict.Should().Be(GateVerdict.Regressed);
    }

    [Fact]
    public void Compare_HigherIsBetterBelowTolerance_Regresses()
    {
        var row = BenchGate.Judge(Baseline.Metrics[2], 1.4);

        row.Verdict.Should().Be(GateVerdict.Regressed);
        row.Change.Should().BeApproximately(-0.3, 1e-9);
    }

    [Fact]
    public void Compare_MuchBetterThanBaseline_IsImprovedAndPasses()
    {
        var report = BenchGate.Compare(Baseline, Results(append: 500, list: 0, ratio: 3.0));

        report.Rows.Select(r => r.Verdict).Should().Equal(GateVerdict.Improved, GateVerdict.Pass, GateVerdict.Improved);
        report.ExitCode.Should().Be(0);
    }

    [Fact]
    public void Compare_MissingFigureAndFile_NamesEachMetricAndExitsTwo()
    {
        var results = new Dictionary<string, JsonNode> { ["micro.json"] = JsonNode.Parse("""{"benchmarks":{"Store.Append":{"bytesPerOperation":2000}}}""")! };

        var report = BenchGate.Compare(Baseline, results);

        report.Rows.Should().ContainSingle(r => r.Metric == "append" && r.Verdict == GateVerdict.Regressed);
        report.Problems.Should().HaveCount(2);
        report.Problems[0].Should().Contain("'list'").And.Contain("/benchmarks/Json.WriteList/bytesPerOperation");
        report.Problems[1].Should().Contain("'ratio'").And.Contain("store.json");
        report.ExitCode.Should().Be(2, "a gate that could not judge every metric is bad input, whatever else it found");
    }

    [Fact]
    public void Format_Table_ShowsEveryColumnAndTheLimitOfARegression()
    {
        var text = GateTable.Format(BenchGate.Compare(Baseline, Results(append: 1200, list: 0, ratio: 2.0)));

        text.Should().Contain("metric").And.Contain("baseline").And.Contain("measured").And.Contain("change").And.Contain("verdict");
        text.Should().Contain("+20.0%").And.Contain("REGRESSED (limit 1,066)");
        text.Should().EndWith("3 metrics judged, 1 regressed, 0 could not be judged");
    }

    [Fact]
    public void Resolve_PointerWithEscapesAndArrayIndex_FindsTheNode()
    {
        var root = JsonNode.Parse("""{"a/b":{"m~n":[1,{"x":7}]}}""");

        JsonPointer.Resolve(root, "/a~1b/m~0n/1/x")!.GetValue<int>().Should().Be(7);
        JsonPointer.Resolve(root, "/a~1b/m~0n/5").Should().BeNull();
        JsonPointer.Resolve(root, "/missing").Should().BeNull();
    }

    private static Dictionary<string, JsonNode> Results(double append, double list, double ratio) => new()
    {
        ["micro.json"] = new JsonObject
        {
            ["benchmarks"] = new JsonObject
            {
                ["Store.Append"] = new JsonObject { ["bytesPerOperation"] = append },
                ["Json.WriteList"] = new JsonObject { ["bytesPerOperation"] = list },
            },
        },
        ["store.json"] = new JsonObject { ["ratios"] = new JsonArray(ratio) },
    };
}
