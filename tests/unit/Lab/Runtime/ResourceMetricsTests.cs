using K3sLab.K3s.ApiServer.ResourceMetrics;
using K3sLab.K3s.Kubelet.Stats;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>
/// The resource metrics path of <c>kubectl top</c>, pure parts: the kubelet reading <c>/proc</c> and cgroup files,
/// writing <c>/metrics/resource</c>; metrics-server reading it back, turning two scrapes into rates, and writing
/// metrics.k8s.io quantities and windows as metrics-server does.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ResourceMetricsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ProcStatParse_CommandWithSpacesAndParentheses_FieldsCountedFromTheLastParenthesis()
    {
        var line = "4242 (my (odd) cmd) S 1 4242 4200 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 3 0 12345 10000000 1536 18446744073709551615";

        var stat = ProcStat.Parse(line);

        stat.Should().Be(new ProcStat(4242, 4200, 300, 50, 1536));
        ProcStat.Parse("garbage").Should().BeNull();
        ProcStat.Parse("12 (x) S 1 2").Should().BeNull();
    }

    [Fact]
    public void NodeUsageFiles_CgroupV2V1AndProc_WorkingSetLessInactiveFile()
    {
        NodeUsageFiles.CpuSecondsV2("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n").Should().Be(2.5);
        NodeUsageFiles.WorkingSetV2("104857600\n", "anon 1\ninactive_file 4194304\nactive_file 8\n").Should().Be(100L * 1024 * 1024 - 4194304);
        NodeUsageFiles.CpuSecondsV1("3000000000\n").Should().Be(3.0);
        NodeUsageFiles.WorkingSetV1("2000\n", "cache 5\ntotal_inactive_file 500\n").Should().Be(1500);
        NodeUsageFiles.WorkingSetV1("100\n", "total_inactive_file 500\n").Should().Be(0, "the working set never goes below zero");

        // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
        NodeUsageFiles.CpuSecondsProc("cpu  100 20 30 9999 888 5 6 7 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n", 100).Should().Be(1.68);
        NodeUsageFiles.WorkingSetProc("MemTotal:       16000 kB\nMemFree:  1 kB\nMemAvailable:   6000 kB\n").Should().Be(10000 * 1024);
        NodeUsageFiles.WorkingSetProc("MemTotal: 16000 kB\n").Should().BeNull();
    }

    [Fact]
    public void KubeletText_WrittenThenScraped_SameFiguresAndEscapedLabels()
    {
        var at = T0.AddSeconds(30);
        var text = ResourceMetricsText.Write(
            new NodeUsage(1234.5, 2_000_000_000, at, "cgroup v2"),
            [
                new ContainerUsage("default", "web", "app", 1.25, 4096 * 300, T0, at),
                new ContainerUsage("default", "web", "side\"car", 0.5, 4096, T0.AddSeconds(1), at),
            ]);

        text.Should().Contain("# TYPE container_cpu_usage_seconds_total counter\n")
            .And.Contain("container_cpu_usage_seconds_total{container=\"app\",namespace=\"default\",pod=\"web\"} 1.25 " + at.ToUnixTimeMilliseconds())
            .And.Contain("pod_cpu_usage_seconds_total{namespace=\"default\",pod=\"web\"} 1.75 ")
            .And.Contain("node_cpu_usage_seconds_total 1234.5 ")
            .And.Contain("resource_scrape_error 0\n");
        var scrape = KubeletScrape.Parse(text);
        scrape.Node.Should().Be(new NodeSample(1234.5, 2_000_000_000, at));
        scrape.Containers.OrderBy(c => c.Container, StringComparer.Ordinal).Should().Equal(
            new ContainerSample("default", "web", "app", 1.25, 4096 * 300, T0, at),
            new ContainerSample("default", "web", "side\"car", 0.5, 4096, T0.AddSeconds(1), at));
    }

    [Fact]
    public void KubeletScrapeParse_UnreadableLine_NamesIt()
    {
        var parse = () => KubeletScrape.Parse("node_cpu_usage_seconds_total not-a-number 1\n");

        parse.Should().Throw<FormatException>().WithMessage("*node_cpu_usage_seconds_total not-a-number*");
    }

    [Fact]
    public void UsageRates_TwoScrapes_RateOverTheirDistanceAndLaterWorkingSet()
    {
        var rates = new UsageRates("n1");
        var first = rates.Next(Scrape(T0, node: 100, (1.0, T0.AddSeconds(-60))));
        first.Usage.Should().BeNull("one sample has no rate");
        first.Pods.Should().BeEmpty("the container started before the first scrape, so it waits for a second one");

        var second = rates.Next(Scrape(T0.AddSeconds(15), node: 115, (2.5, T0.AddSeconds(-60))));

        second.Usage.Should().Be(new UsagePoint(1_000_000_000, 1000, T0.AddSeconds(15), TimeSpan.FromSeconds(15)));
        second.Pods.Should().ContainSingle().Which.Containers.Should().Equal(
            new ContainerPoint("app", new UsagePoint(100_000_000, 50, T0.AddSeconds(15), TimeSpan.FromSeconds(15))));
    }

    [Fact]
    public void UsageRates_ContainerStartedSinceTheLastScrape_RateFromItsStart()
    {
        var rates = new UsageRates("n1");
        rates.Next(Scrape(T0, node: 100));

        var next = rates.Next(Scrape(T0.AddSeconds(15), node: 101, (0.5, T0.AddSeconds(5))));

        next.Pods.Single().Containers.Single().Usage.Should().Be(new UsagePoint(50_000_000, 50, T0.AddSeconds(15), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void UsageRates_RestartedOrCounterWentBack_NoRateUntilTheNextPair()
    {
        var rates = new UsageRates("n1");
        rates.Next(Scrape(T0, node: 100, (5.0, T0.AddSeconds(-60))));

        // Same run (same start time) but a smaller counter: a process of it was reaped outside the container.
        rates.Next(Scrape(T0.AddSeconds(15), node: 101, (4.0, T0.AddSeconds(-60)))).Pods.Should().BeEmpty("the counter went back within one run");
        rates.Next(Scrape(T0.AddSeconds(30), node: 102, (4.3, T0.AddSeconds(-60)))).Pods.Single().Containers.Single().Usage.NanoCores.Should().Be(20_000_000);
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(5_000_000L, "5m")]
    [InlineData(250_000L, "250u")]
    [InlineData(1_234L, "1234n")]
    [InlineData(2_000_000_000L, "2")]
    public void Cpu_Nanocores_CanonicalQuantity(long nanoCores, string expected) => MetricsDocuments.Cpu(nanoCores).Should().Be(expected);

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(1000L, "1k")]
    [InlineData(1500L, "1500")]
    [InlineData(4096L, "4Ki")]
    [InlineData(3L * 1024 * 1024, "3Mi")]
    [InlineData(1024L * 1024 + 1024, "1025Ki")]
    public void Memory_Bytes_AsGoWritesABinaryQuantity(long bytes, string expected) => MetricsDocuments.Memory(bytes).Should().Be(expected);

    [Theory]
    [InlineData(15_003, "15.003s")]
    [InlineData(750, "750ms")]
    [InlineData(60_500, "1m0.5s")]
    [InlineData(3_725_000, "1h2m5s")]
    public void GoDuration_Milliseconds_AsGoWritesThem(int ms, string expected) => K3sLab.K3s.Cli.GoDuration.Format(TimeSpan.FromMilliseconds(ms)).Should().Be(expected);

    [Fact]
    public void PodDocument_LatestContainerStampsThePod_LabelsCopied()
    {
        var pod = new PodPoint("default", "web", [
            new ContainerPoint("a", new UsagePoint(1_000_000, 8192, T0, TimeSpan.FromSeconds(15))),
            new ContainerPoint("b", new UsagePoint(2_000_000, 4096, T0.AddSeconds(1), TimeSpan.FromSeconds(14))),
        ]);

        var document = MetricsDocuments.Pod(pod, new System.Text.Json.Nodes.JsonObject { ["app"] = "web" }, T0.AddSeconds(2));

        document.ToJsonString().Should().Be(
            "{\"kind\":\"PodMetrics\",\"apiVersion\":\"metrics.k8s.io/v1beta1\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"creationTimestamp\":\"2026-12-07T10:00:02Z\",\"labels\":{\"app\":\"web\"}},"
            + "\"timestamp\":\"2026-12-07T10:00:01Z\",\"window\":\"14s\",\"containers\":[{\"name\":\"a\",\"usage\":{\"cpu\":\"1m\",\"memory\":\"8Ki\"}},{\"name\":\"b\",\"usage\":{\"cpu\":\"2m\",\"memory\":\"4Ki\"}}]}");
    }

    [Fact]
    public void TableAndList_PodSummedOverContainers_ItemsUntyped()
    {
        var pod = MetricsDocuments.Pod(new PodPoint("default", "web", [
            new ContainerPoint("a", new UsagePoint(1_500_000, 1024 * 1024, T0, TimeSpan.FromSeconds(15))),
            new ContainerPoint("b", new UsagePoint(500_000, 1024 * 1024, T0, TimeSpan.FromSeconds(15))),
        ]), null, T0);

        MetricsTable.Columns.Select(c => c.Name).Should().Equal("Name", "cpu", "memory", "Window");
        MetricsTable.Columns.Select(c => c.Cell(pod, T0)?.ToString()).Should().Equal("web", "2m", "2Mi", "15s");
        var list = MetricsDocuments.List("PodMetricsList", [pod]);
        list["items"]![0]!.AsObject().Select(p => p.Key).Should().Equal("metadata", "timestamp", "window", "containers");
    }

    private static KubeletScrape Scrape(DateTimeOffset at, double node, params (double Cpu, DateTimeOffset Started)[] containers) =>
        new(new NodeSample(node, 1000, at), [.. containers.Select(c => new ContainerSample("default", "web", "app", c.Cpu, 50, c.Started, at))]);
}
