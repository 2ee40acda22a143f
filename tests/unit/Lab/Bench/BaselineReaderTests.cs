using K3sLab.Lab.Bench;

namespace K3sLab.Lab.Tests.Bench;

[Trait("Category", "Unit")]
public sealed class BaselineReaderTests
{
    [Fact]
    public void Parse_ValidBaseline_ReadsEveryField()
    {
        var baseline = BaselineReader.Parse("""
            {"format":"k3slab-bench-baseline/1","description":"d","metrics":[
              {"name":"a","results":"micro.json","pointer":"/x","expected":10,"better":"lower","tolerance":0.05,"slack":16},
              {"name":"b","results":"store.json","pointer":"/y","expected":2,"better":"higher","tolerance":0.5}]}
            """, "b.json");

        baseline.Metrics.Should().Equal(
            new BaselineMetric("a", "micro.json", "/x", 10, Better.Lower, 0.05, 16),
            new BaselineMetric("b", "store.json", "/y", 2, Better.Higher, 0.5));
    }

    [Fact]
    public void Parse_TheCheckedInAllocationBaseline_IsValid()
    {
        var path = Path.Combine(LabPaths.Root, "perf", "baselines", "alloc.json");

        var baseline = BaselineReader.Parse(File.ReadAllText(path), path);

        baseline.Metrics.Should().NotBeEmpty().And.OnlyContain(m => m.Results == "micro.json" && m.Better == Better.Lower);
    }

    [Theory]
    [InlineData("""{"format":"k3slab-bench-micro/1","benchmarks":{}}""", "is of format 'k3slab-bench-micro/1', not 'k3slab-bench-baseline/1'")]
    [InlineData("""{"phases":[]}""", "has no \"format\" field")]
    [InlineData("""not json""", "is not JSON")]
    [InlineData("""[1]""", "is not a JSON object")]
    [InlineData("""{"format":"k3slab-bench-baseline/1","metrics":[]}""", "lists no metrics")]
    [InlineData("""{"format":"k3slab-bench-baseline/1","metrics":[{"name":"a","results":"r.json","pointer":"x","expected":1,"better":"lower","tolerance":0.1}]}""", "is not a JSON pointer")]
    [InlineData("""{"format":"k3slab-bench-baseline/1","metrics":[{"name":"a","results":"r.json","pointer":"/x","expected":1,"better":"faster","tolerance":0.1}]}""", "better is 'faster'")]
    [InlineData("""{"format":"k3slab-bench-baseline/1","metrics":[{"name":"a","results":"r.json","pointer":"/x","better":"lower","tolerance":0.1}]}""", "has no \"expected\" number")]
    [InlineData("""{"format":"k3slab-bench-baseline/1","metrics":[{"name":"a","results":"r.json","pointer":"/x","expected":1,"better":"lower","tolerance":-1}]}""", "must be non-negative")]
    [InlineData("""{"format":"k3slab-bench-baseline/1","metrics":[{"name":"a","results":"r.json","pointer":"/x","expected":1,"better":"lower","tolerance":0},{"name":"a","results":"r.json","pointer":"/y","expected":1,"better":"lower","tolerance":0}]}""", "names metric 'a' more than once")]
    public void Parse_UnusableFile_ThrowsNamingTheFileAndTheProblem(string json, string expected)
    {
        var parse = () => BaselineReader.Parse(json, "perf/baselines/x.json");

        parse.Should().Throw<BenchInputException>().Which.Message.Should().StartWith("perf/baselines/x.json").And.Contain(expected);
    }
}
