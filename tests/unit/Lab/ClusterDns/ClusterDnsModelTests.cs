using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.ClusterDns;
using static K3sLab.Lab.Tests.ClusterDns.ClusterObjects;

namespace K3sLab.Lab.Tests.ClusterDns;

[Trait("Category", "Unit")]
public sealed class ClusterDnsModelTests
{
    private static readonly (string, string, int)[] WebPorts = [("http", "TCP", 80), ("metrics", "TCP", 9100)];

    private static ClusterDnsModel Model(JsonObject[] services, JsonObject[]? slices = null, JsonObject[]? nodes = null) =>
        ClusterDnsModel.Build(services, slices ?? [], nodes ?? [], "cluster.local", 42);

    private static string[] Data(DnsAnswer answer) => [.. answer.Answers.Select(r => r.Data.ToString()!)];

    [Fact]
    public void Resolve_ClusterIpService_ItsClusterIp()
    {
        var model = Model([Service("default", "web", "10.43.12.7", WebPorts)]);

        var answer = model.Resolve("web.default.svc.cluster.local", DnsType.A);

        answer.ResponseCode.Should().Be(DnsType.NoError);
        answer.Answers.Should().ContainSingle().Which.Should().Be(new DnsRecord("web.default.svc.cluster.local", DnsType.A, 5, IPAddress.Parse("10.43.12.7")));
    }

    [Fact]
    public void Resolve_UnknownNamesInTheZone_NxDomainWithTheSoa()
    {
        var model = Model([Service("default", "web", "10.43.12.7", WebPorts)]);

        foreach (var name in new[] { "nope.default.svc.cluster.local", "web.other.svc.cluster.local", "web.default.cluster.local", "a.b.c.d.e.f.cluster.local", "nosuchns.svc.cluster.local" })
        {
            var answer = model.Resolve(name, DnsType.A);
            answer.ResponseCode.Should().Be(DnsType.NameError, name);
            answer.Authority.Should().NotBeNull();
            answer.Authority!.Data.Should().Be(new SoaData("ns.dns.cluster.local", "hostmaster.cluster.local", 42, 7200, 1800, 86400, 5));
        }
    }

    [Fact]
    public void Resolve_ExistingNameOtherType_EmptyNoError()
    {
        var model = Model([Service("default", "web", "10.43.12.7", WebPorts)]);

        var answer = model.Resolve("web.default.svc.cluster.local", DnsType.Aaaa);

        answer.ResponseCode.Should().Be(DnsType.NoError);
        answer.Answers.Should().BeEmpty();
        answer.Authority.Should().NotBeNull("a negative answer carries the SOA for its cache time");
        model.Resolve("default.svc.cluster.local", DnsType.A).ResponseCode.Should().Be(DnsType.NoError, "a namespace with Services exists as a name");
    }

    [Fact]
    public void Resolve_HeadlessService_ReadyEndpointsAndTheirNames()
    {
        var model = Model(
            [Service("db", "pg", "None", ("sql", "TCP", 5432))],
            [Slice("db", "pg", [("sql", "TCP", 5432)], ("10.42.1.5", "pg-0", true), ("10.42.2.6", null, true), ("10.42.3.7", "pg-2", false))]);

        Data(model.Resolve("pg.db.svc.cluster.local", DnsType.A)).Should().BeEquivalentTo("10.42.1.5", "10.42.2.6");
        Data(model.Resolve("pg-0.pg.db.svc.cluster.local", DnsType.A)).Should().Equal("10.42.1.5");
        Data(model.Resolve("10-42-2-6.pg.db.svc.cluster.local", DnsType.A)).Should().Equal("10.42.2.6");
        model.Resolve("pg-2.pg.db.svc.cluster.local", DnsType.A).ResponseCode.Should().Be(DnsType.NameError, "a not-ready endpoint is not published");
    }

    [Fact]
    public void Resolve_HeadlessPublishingNotReady_AllEndpoints()
    {
        var service = Service("db", "pg", "None", ("sql", "TCP", 5432));
        service["spec"]!["publishNotReadyAddresses"] = true;
        var model = Model([service], [Slice("db", "pg", [("sql", "TCP", 5432)], ("10.42.1.5", "pg-0", true), ("10.42.3.7", "pg-2", false))]);

        Data(model.Resolve("pg.db.svc.cluster.local", DnsType.A)).Should().BeEquivalentTo("10.42.1.5", "10.42.3.7");
    }

    [Fact]
    public void Resolve_HeadlessWithoutEndpoints_NxDomain()
    {
        var model = Model([Service("db", "pg", "None", ("sql", "TCP", 5432))]);

        model.Resolve("pg.db.svc.cluster.local", DnsType.A).ResponseCode.Should().Be(DnsType.NameError);
    }

    [Fact]
    public void Resolve_Srv_ClusterIpServiceNamedPort()
    {
        var model = Model([Service("default", "web", "10.43.12.7", WebPorts)]);

        var answer = model.Resolve("_http._tcp.web.default.svc.cluster.local", DnsType.Srv);

        answer.Answers.Should().ContainSingle().Which.Data.Should().Be(new SrvData(0, 100, 80, "web.default.svc.cluster.local"));
        answer.Additional.Should().ContainSingle().Which.Should().Be(new DnsRecord("web.default.svc.cluster.local", DnsType.A, 5, IPAddress.Parse("10.43.12.7")));
        model.Resolve("_http._udp.web.default.svc.cluster.local", DnsType.Srv).ResponseCode.Should().Be(DnsType.NameError);
        model.Resolve("web.default.svc.cluster.local", DnsType.Srv).Answers.Select(r => ((SrvData)r.Data).Port).Should().BeEquivalentTo([80, 9100]);
    }

    [Fact]
    public void Resolve_Srv_HeadlessServiceTargetsEachEndpoint()
    {
        var model = Model(
            [Service("db", "pg", "None", ("sql", "TCP", 5432))],
            [Slice("db", "pg", [("sql", "TCP", 5432)], ("10.42.1.5", "pg-0", true), ("10.42.2.6", null, true))]);

        var answer = model.Resolve("_sql._tcp.pg.db.svc.cluster.local", DnsType.Srv);

        answer.Answers.Select(r => ((SrvData)r.Data).Target).Should().BeEquivalentTo("pg-0.pg.db.svc.cluster.local", "10-42-2-6.pg.db.svc.cluster.local");
        answer.Answers.Select(r => ((SrvData)r.Data).Weight).Should().AllBeEquivalentTo(50);
        answer.Additional.Select(r => r.Data.ToString()).Should().BeEquivalentTo("10.42.1.5", "10.42.2.6");
    }

    [Fact]
    public void Resolve_ExternalName_Cname()
    {
        var model = Model([ExternalName("default", "search", "Search.Example.COM.")]);

        var answer = model.Resolve("search.default.svc.cluster.local", DnsType.A);

        answer.Answers.Should().ContainSingle().Which.Should().Be(new DnsRecord("search.default.svc.cluster.local", DnsType.Cname, 5, "search.example.com"));
    }

    [Fact]
    public void Resolve_PodName_ItsDashedAddressUnchecked()
    {
        var model = Model([]);

        Data(model.Resolve("10-42-0-9.default.pod.cluster.local", DnsType.A)).Should().Equal("10.42.0.9");
        model.Resolve("10-42-0.default.pod.cluster.local", DnsType.A).ResponseCode.Should().Be(DnsType.NameError);
    }

    [Fact]
    public void Resolve_ReverseOfAClusterIp_ServiceName()
    {
        var model = Model([Service("default", "web", "10.43.12.7", WebPorts)]);

        Data(model.Resolve("7.12.43.10.in-addr.arpa", DnsType.Ptr)).Should().Equal("web.default.svc.cluster.local");
        model.Resolve("8.12.43.10.in-addr.arpa", DnsType.Ptr).Forwarded.Should().BeTrue("reverse names the cluster does not know fall through to the upstream");
    }

    [Fact]
    public void Resolve_NodeName_ItsInternalIp()
    {
        var model = Model([], nodes: [Node("Agent-0", "172.18.0.4")]);

        var answer = model.Resolve("agent-0", DnsType.A);

        answer.Answers.Should().ContainSingle().Which.Should().Be(new DnsRecord("agent-0", DnsType.A, ClusterDnsModel.NodeTtl, IPAddress.Parse("172.18.0.4")));
        model.Resolve("agent-0", DnsType.Aaaa).Answers.Should().BeEmpty();
    }

    [Fact]
    public void Resolve_OtherNames_Forwarded()
    {
        var model = Model([Service("default", "web", "10.43.12.7", WebPorts)], nodes: [Node("agent-0", "172.18.0.4")]);

        model.Resolve("example.com", DnsType.A).Forwarded.Should().BeTrue();
        model.Resolve("web.default.svc.cluster.local.example.com", DnsType.A).Forwarded.Should().BeTrue();
        model.Resolve("agent-1", DnsType.A).Forwarded.Should().BeTrue();
    }

    [Fact]
    public void Resolve_ZoneApex_SoaAndNs()
    {
        var model = Model([]);

        model.Resolve("cluster.local", DnsType.Soa).Answers.Should().ContainSingle().Which.Type.Should().Be(DnsType.Soa);
        Data(model.Resolve("cluster.local", DnsType.Ns)).Should().Equal("ns.dns.cluster.local");
    }

    [Fact]
    public void Build_OtherDomain_ServesThatZone()
    {
        var model = ClusterDnsModel.Build([Service("default", "web", "10.43.12.7", WebPorts)], [], [], "lab.internal.", 1);

        Data(model.Resolve("web.default.svc.lab.internal", DnsType.A)).Should().Equal("10.43.12.7");
        model.Resolve("web.default.svc.cluster.local", DnsType.A).Forwarded.Should().BeTrue();
    }
}
