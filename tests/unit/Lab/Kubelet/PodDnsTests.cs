using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class PodDnsTests
{
    private const string NodeFile = "nameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch corp.example lab.example.\noptions edns0 timeout:2\n";
    private static readonly IPAddress ClusterDns = IPAddress.Parse("10.43.0.10");

    private static JsonObject Pod(string spec = "{}") => (JsonObject)JsonNode.Parse($$"""{"metadata":{"name":"web-1","namespace":"shop","uid":"u-1"},"spec":{{spec}}}""")!;

    /// <summary>A <c>None</c> pod with these search paths and nameservers in its <c>dnsConfig</c>.</summary>
    private static JsonObject NonePod(IEnumerable<string> searches, params string[] nameservers)
    {
        var dnsConfig = new JsonObject
        {
            ["nameservers"] = new JsonArray([.. nameservers.Select(n => (JsonNode)n)]),
            ["searches"] = new JsonArray([.. searches.Select(s => (JsonNode)s)]),
        };
        return Pod(new JsonObject { ["dnsPolicy"] = "None", ["dnsConfig"] = dnsConfig }.ToJsonString());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"dnsPolicy":"ClusterFirst"}""")]
    [InlineData("""{"dnsPolicy":"ClusterFirstWithHostNet"}""")]
    [InlineData("""{"dnsPolicy":"ClusterFirstWithHostNet","hostNetwork":true}""")]
    public void Form_ClusterFirst_IsTheClusterServerWithClusterThenNodeSearchesAndNdots5(string spec)
    {
        var dns = PodDns.Form(Pod(spec), NodeFile, ClusterDns, "cluster.local");

        dns.Nameservers.Should().Equal("10.43.0.10");
        dns.Searches.Should().Equal("shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example");
        dns.Options.Should().Equal("ndots:5");
        dns.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void Form_ClusterFirst_DropsANodeSearchPathTheClusterOnesHaveAlready()
    {
        var dns = PodDns.Form(Pod(), "search cluster.local corp.example\n", ClusterDns, "cluster.local");

        dns.Searches.Should().Equal("shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example");
    }

    [Fact]
    public void Form_ClusterFirstOnTheHostNetwork_IsTheNodesFile()
    {
        var dns = PodDns.Form(Pod("""{"dnsPolicy":"ClusterFirst","hostNetwork":true}"""), NodeFile, ClusterDns, "cluster.local");

        dns.Nameservers.Should().Equal("192.168.1.1", "192.168.1.2");
        dns.Searches.Should().Equal("corp.example", "lab.example");
        dns.Options.Should().Equal("edns0", "timeout:2");
        dns.Warnings.Should().BeEmpty();
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"dnsPolicy":"ClusterFirstWithHostNet","hostNetwork":true}""")]
    public void Form_ClusterPolicyWithoutClusterDns_IsTheNodesFileWithTheMissingClusterDnsWarning(string spec)
    {
        var dns = PodDns.Form(Pod(spec), NodeFile, null, "cluster.local");

        dns.Nameservers.Should().Equal("192.168.1.1", "192.168.1.2");
        dns.Searches.Should().Equal("corp.example", "lab.example");
        dns.Warnings.Should().Equal(new PodDnsWarning(
            "MissingClusterDNS",
            "pod: \"web-1_shop(u-1)\". kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy."));
    }

    [Fact]
    public void Form_Default_IsTheNodesFile_WithoutAWarningEvenWithoutClusterDns()
    {
        var dns = PodDns.Form(Pod("""{"dnsPolicy":"Default"}"""), NodeFile, null, "cluster.local");

        dns.Nameservers.Should().Equal("192.168.1.1", "192.168.1.2");
        dns.Searches.Should().Equal("corp.example", "lab.example");
        dns.Options.Should().Equal("edns0", "timeout:2");
        dns.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void Form_None_IsOnlyTheDnsConfig()
    {
        var dns = PodDns.Form(Pod("""{"dnsPolicy":"None","dnsConfig":{"nameservers":["1.1.1.1"],"searches":["my.dns.search.suffix"],"options":[{"name":"ndots","value":"2"},{"name":"edns0"}]}}"""), NodeFile, ClusterDns, "cluster.local");

        dns.Nameservers.Should().Equal("1.1.1.1");
        dns.Searches.Should().Equal("my.dns.search.suffix");
        dns.Options.Should().Equal("ndots:2", "edns0");
        dns.Text.Should().Be("search my.dns.search.suffix\nnameserver 1.1.1.1\noptions ndots:2 edns0\n");
    }

    [Fact]
    public void Form_DnsConfig_AppendsWithoutDuplicates_AndReplacesAnOptionOfTheSameName()
    {
        var dns = PodDns.Form(
            Pod("""{"dnsConfig":{"nameservers":["10.43.0.10","8.8.8.8"],"searches":["svc.cluster.local","extra.example"],"options":[{"name":"ndots","value":"1"},{"name":"single-request-reopen"}]}}"""),
            NodeFile,
            ClusterDns,
            "cluster.local");

        dns.Nameservers.Should().Equal("10.43.0.10", "8.8.8.8");
        dns.Searches.Should().Equal("shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example", "extra.example");
        dns.Options.Should().Equal("ndots:1", "single-request-reopen");
    }

    [Fact]
    public void Form_DnsConfigOptionWithoutValue_ReplacesANamedValueWithTheBareName()
    {
        var dns = PodDns.Form(Pod("""{"dnsPolicy":"Default","dnsConfig":{"options":[{"name":"timeout"}]}}"""), NodeFile, null, "cluster.local");

        dns.Options.Should().Equal("edns0", "timeout");
    }

    [Fact]
    public void Form_MoreThanThreeNameservers_KeepsTheFirstThree_WithTheDnsConfigFormingWarning()
    {
        var dns = PodDns.Form(Pod("""{"dnsConfig":{"nameservers":["1.1.1.1","8.8.8.8","9.9.9.9"]}}"""), NodeFile, ClusterDns, "cluster.local");

        dns.Nameservers.Should().Equal("10.43.0.10", "1.1.1.1", "8.8.8.8");
        dns.Warnings.Should().Equal(new PodDnsWarning(
            "DNSConfigForming",
            "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.43.0.10 1.1.1.1 8.8.8.8"));
    }

    [Fact]
    public void Form_MoreThan32SearchPaths_KeepsTheFirst32_WithTheDnsConfigFormingWarning()
    {
        var searches = Enumerable.Range(0, 40).Select(i => $"s{i}.example").ToList();
        var dns = PodDns.Form(NonePod(searches, "1.1.1.1"), string.Empty, ClusterDns, "cluster.local");

        dns.Searches.Should().Equal(searches.Take(32));
        dns.Warnings.Should().Equal(new PodDnsWarning(
            "DNSConfigForming",
            $"Search Line limits were exceeded, some search paths have been omitted, the applied search line is: {string.Join(' ', searches.Take(32))}"));
    }

    [Fact]
    public void Form_SearchLineOver2048Characters_DropsPathsFromTheEndUntilItFits()
    {
        // 10 paths of 250 characters: joined with spaces, 8 of them take 2,007 characters and 9 take 2,258.
        var searches = Enumerable.Range(0, 10).Select(i => new string((char)('a' + i), 242) + ".example").ToList();
        var dns = PodDns.Form(NonePod(searches), string.Empty, null, "cluster.local");

        dns.Searches.Should().Equal(searches.Take(8));
        string.Join(' ', dns.Searches).Length.Should().BeLessThanOrEqualTo(PodDns.MaxSearchListChars);
        dns.Warnings.Should().ContainSingle().Which.Should().Be(new PodDnsWarning(
            "DNSConfigForming",
            $"Search Line limits were exceeded, some search paths have been omitted, the applied search line is: {string.Join(' ', searches.Take(8))}"));
    }

    [Fact]
    public void Form_SearchLineOfExactly2048Characters_IsKept()
    {
        var searches = new[] { new string('a', 1023), new string('b', 1024) };
        var dns = PodDns.Form(NonePod(searches), string.Empty, null, "cluster.local");

        dns.Searches.Should().Equal(searches);
        dns.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void Form_OtherClusterDomain_NamesItInTheSearchPaths()
    {
        var dns = PodDns.Form(Pod(), string.Empty, IPAddress.Parse("10.0.0.10"), "k8s.test");

        dns.Text.Should().Be("search shop.svc.k8s.test svc.k8s.test k8s.test\nnameserver 10.0.0.10\noptions ndots:5\n");
    }

    [Fact]
    public void Text_LeavesOutEmptyLines()
    {
        PodDnsConfig.Empty.Text.Should().BeEmpty();
        new PodDnsConfig(["1.1.1.1", "8.8.8.8"], [], [], []).Text.Should().Be("nameserver 1.1.1.1\nnameserver 8.8.8.8\n");
        new PodDnsConfig([], ["a.example"], ["ndots:5"], []).Text.Should().Be("search a.example\noptions ndots:5\n");
    }

    [Fact]
    public void ParseResolvConf_SkipsCommentsAndUnknownLines_TheLastSearchLineWins_OptionsMergeByName()
    {
        var dns = PodDns.ParseResolvConf(
            "# Generated by NetworkManager\n" +
            "; another comment\n" +
            "nameserver 127.0.0.53 # the stub\n" +
            "nameserver\n" +
            "search first.example\n" +
            "\tsearch  second.example   third.example. .\n" +
            "sortlist 130.155.160.0/255.255.240.0\n" +
            "options ndots:2 edns0\n" +
            "options ndots:3 trust-ad ; late\n" +
            "nameserver 8.8.8.8");

        dns.Nameservers.Should().Equal("127.0.0.53", "8.8.8.8");
        dns.Searches.Should().Equal("second.example", "third.example");
        dns.Options.Should().Equal("ndots:3", "edns0", "trust-ad");
        dns.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void ParseResolvConf_Domain_IsTheSearchPathOnlyWithoutASearchLine()
    {
        PodDns.ParseResolvConf("domain corp.example.\nnameserver 10.0.0.2\n").Searches.Should().Equal("corp.example");
        PodDns.ParseResolvConf("search lab.example\ndomain corp.example\n").Searches.Should().Equal("lab.example");
        PodDns.ParseResolvConf("domain corp.example\nsearch lab.example\n").Searches.Should().Equal("lab.example");
    }

    [Fact]
    public void ParseResolvConf_CrLfAndEmpty_AreRead()
    {
        var crlf = PodDns.ParseResolvConf("nameserver 10.0.0.2\r\nsearch a.example\r\n");
        crlf.Nameservers.Should().Equal("10.0.0.2");
        crlf.Searches.Should().Equal("a.example");
        var empty = PodDns.ParseResolvConf(string.Empty);
        empty.Nameservers.Should().BeEmpty();
        empty.Searches.Should().BeEmpty();
        empty.Options.Should().BeEmpty();
    }

    [Fact]
    public void ContainerMounts_AddsTheResolvConfWritable_AfterTheVolumes()
    {
        var volumes = new List<VolumeMount> { new("/agent/pods/u-1/volumes/kubernetes.io~projected/token", "/var/run/secrets/kubernetes.io/serviceaccount", true) };

        var mounts = PodDns.ContainerMounts(volumes, "/agent/pods/u-1/resolv.conf");

        mounts.Should().Equal(volumes[0], new VolumeMount("/agent/pods/u-1/resolv.conf", "/etc/resolv.conf", false));
        volumes.Should().HaveCount(1, "the container's volume list is not changed");
        PodDns.ContainerMounts([], "/agent/pods/u-1/resolv.conf").Should().Equal(new VolumeMount("/agent/pods/u-1/resolv.conf", "/etc/resolv.conf", false));
    }

    [Fact]
    public void ContainerMounts_WithoutAResolvConf_AreTheVolumes()
    {
        PodDns.ContainerMounts([], null).Should().BeEmpty("a node without cluster DNS gives no mount, so no mount namespace either");
    }

    [Fact]
    public void ContainerMounts_AVolumeAtEtcResolvConf_IsLeftInPlace()
    {
        var own = new VolumeMount("/agent/pods/u-1/volumes/kubernetes.io~configmap/dns/resolv.conf", "/etc/resolv.conf/", true);

        PodDns.ContainerMounts([own], "/agent/pods/u-1/resolv.conf").Should().Equal(own);
    }

    [Fact]
    public void MountScript_ResolvConf_IsBoundOverTheFile_LeavingAnExistingOneUntouched()
    {
        // Any existing file of the node will do as the source: the script binds a file onto a file.
        var source = Environment.ProcessPath!;

        var script = ProcessRuntime.MountScript(PodDns.ContainerMounts([], source), null);

        script.Should().Be(
            "mkdir -p -- '/etc' && { [ -e '/etc/resolv.conf' ] || touch -- '/etc/resolv.conf'; } && " +
            $"mount --bind -- '{source}' '/etc/resolv.conf' && cd -- '/' && exec \"$@\"");
    }
}
