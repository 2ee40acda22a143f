using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Tables;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class TableConverterTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Row(string resource, string json, IncludeObject include = IncludeObject.Metadata)
    {
        var table = TableConverter.Convert(new TableRequest("v1", include), TableColumns.For(resource), [(JsonObject)JsonNode.Parse(json)!], null, Now);
        table["kind"]!.GetValue<string>().Should().Be("Table");
        table["apiVersion"]!.GetValue<string>().Should().Be("meta.k8s.io/v1");
        return table;
    }

    private static Dictionary<string, string?> Cells(JsonObject table) =>
        table["columnDefinitions"]!.AsArray().Select((c, i) => (Name: c!["name"]!.GetValue<string>(), Cell: table["rows"]![0]!["cells"]![i]))
            .ToDictionary(p => p.Name, p => p.Cell?.ToString());

    [Theory]
    [InlineData(30, "30s")]
    [InlineData(119, "119s")]
    [InlineData(200, "3m20s")]
    [InlineData(300, "5m")]
    [InlineData(3600, "60m")]
    [InlineData(4 * 3600 + 60, "4h1m")]
    [InlineData(30 * 3600, "30h")]
    [InlineData(3 * 86400 + 3600, "3d1h")]
    [InlineData(40 * 86400, "40d")]
    [InlineData(3 * 365 * 86400, "3y")]
    public void HumanDuration_RoundsAsKubectl(int seconds, string expected)
    {
        HumanDuration.Format(TimeSpan.FromSeconds(seconds)).Should().Be(expected);
    }

    [Fact]
    public void Pods_ShowReadyStatusRestartsAge_AndWideColumns()
    {
        var table = Row("pods", """
            {"metadata":{"name":"web-1","creationTimestamp":"2026-11-25T11:55:00Z"},
             "spec":{"nodeName":"agent-0","containers":[{"name":"a"},{"name":"b"}]},
             "status":{"phase":"Running","podIP":"10.0.0.5","containerStatuses":[
               {"name":"a","ready":true,"restartCount":0,"state":{"running":{}}},
               {"name":"b","ready":false,"restartCount":3,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"2026-11-25T11:59:00Z"}}}]}}
            """);

        Cells(table).Should().BeEquivalentTo(new Dictionary<string, string?>
        {
            ["Name"] = "web-1", ["Ready"] = "1/2", ["Status"] = "CrashLoopBackOff", ["Restarts"] = "3 (60s ago)", ["Age"] = "5m",
            ["IP"] = "10.0.0.5", ["Node"] = "agent-0", ["Nominated Node"] = "<none>", ["Readiness Gates"] = "<none>",
        });
        table["columnDefinitions"]!.AsArray().Where(c => c!["priority"]!.GetValue<int>() == 1).Select(c => c!["name"]!.GetValue<string>())
            .Should().Equal("IP", "Node", "Nominated Node", "Readiness Gates");
        table["rows"]![0]!["object"]!["kind"]!.GetValue<string>().Should().Be("PartialObjectMetadata");
    }

    [Fact]
    public void TerminatingPods_SayTerminating()
    {
        Cells(Row("pods", """{"metadata":{"name":"p","deletionTimestamp":"2026-11-25T11:59:00Z"},"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running"}}"""))["Status"]
            .Should().Be("Terminating");
    }

    [Fact]
    public void Deployments_ShowReadyOverDesired_AndTemplateColumns()
    {
        var cells = Cells(Row("deployments", """
            {"metadata":{"name":"web","creationTimestamp":"2026-11-25T10:00:00Z"},
             "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"spec":{"containers":[{"name":"app","image":"busybox"},{"name":"side","image":"pause"}]}}},
             "status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}}
            """));

        cells.Should().BeEquivalentTo(new Dictionary<string, string?>
        {
            ["Name"] = "web", ["Ready"] = "2/3", ["Up-to-date"] = "3", ["Available"] = "2", ["Age"] = "120m",
            ["Containers"] = "app,side", ["Images"] = "busybox,pause", ["Selector"] = "app=web",
        });
    }

    [Fact]
    public void Services_ShowTypeIpsAndPorts()
    {
        var cells = Cells(Row("services", """
            {"metadata":{"name":"s","creationTimestamp":"2026-11-25T11:59:30Z"},
             "spec":{"type":"NodePort","clusterIP":"10.43.0.10","selector":{"app":"web"},"ports":[{"port":80,"nodePort":30080,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]}}
            """));

        cells["Type"].Should().Be("NodePort");
        cells["Cluster-IP"].Should().Be("10.43.0.10");
        cells["External-IP"].Should().Be("<none>");
        cells["Port(s)"].Should().Be("80:30080/TCP,53/UDP");
        cells["Age"].Should().Be("30s");
        cells["Selector"].Should().Be("app=web");
    }

    [Fact]
    public void Nodes_ShowStatusRolesAndVersion()
    {
        var cells = Cells(Row("nodes", """
            {"metadata":{"name":"server-0","creationTimestamp":"2026-11-25T11:00:00Z","labels":{"node-role.kubernetes.io/control-plane":"true","node-role.kubernetes.io/master":"true"}},
             "spec":{"unschedulable":true},
             "status":{"conditions":[{"type":"Ready","status":"True"}],"addresses":[{"type":"InternalIP","address":"172.30.0.2"}],"nodeInfo":{"kubeletVersion":"v1.33.5+k3s1"}}}
            """));

        cells["Status"].Should().Be("Ready,SchedulingDisabled");
        cells["Roles"].Should().Be("control-plane,master");
        cells["Version"].Should().Be("v1.33.5+k3s1");
        cells["Internal-IP"].Should().Be("172.30.0.2");
        cells["External-IP"].Should().Be("<none>");
    }

    [Fact]
    public void KindsWithoutAPrinter_GetNameAndAge_AndIncludeObjectIsHonoured()
    {
        var table = Row("widgets", """{"metadata":{"name":"x","creationTimestamp":"2026-11-25T11:59:00Z"}}""", IncludeObject.Object);

        Cells(table).Should().BeEquivalentTo(new Dictionary<string, string?> { ["Name"] = "x", ["Age"] = "60s" });
        table["rows"]![0]!["object"]!["metadata"]!["name"]!.GetValue<string>().Should().Be("x");
        Row("configmaps", """{"metadata":{"name":"c"}}""", IncludeObject.None)["rows"]![0]!.AsObject().ContainsKey("object").Should().BeFalse();
    }

    [Fact]
    public void HorizontalPodAutoscaler_TargetsAsKubePrintsThem()
    {
        var cells = Cells(Row("horizontalpodautoscalers", """
            {"metadata":{"name":"web","creationTimestamp":"2026-11-25T11:59:00Z"},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":2,"maxReplicas":5,"metrics":[
               {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}},
               {"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"64Mi"}}},
               {"type":"Pods","pods":{"metric":{"name":"qps"},"target":{"type":"AverageValue","averageValue":"10"}}}]},
             "status":{"currentReplicas":3,"currentMetrics":[
               {"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":72,"averageValue":"14m"}}}]}}
            """));

        cells.Should().BeEquivalentTo(new Dictionary<string, string?>
        {
            ["Name"] = "web", ["Reference"] = "Deployment/web", ["Targets"] = "cpu: 72%/50%, memory: <unknown>/64Mi + 1 more...",
            ["MinPods"] = "2", ["MaxPods"] = "5", ["Replicas"] = "3", ["Age"] = "60s",
        });
        Cells(Row("horizontalpodautoscalers", """{"metadata":{"name":"x"},"spec":{"scaleTargetRef":{"kind":"StatefulSet","name":"db"},"maxReplicas":1}}"""))
            .Should().Contain(new Dictionary<string, string?> { ["Targets"] = "<none>", ["MinPods"] = "<unset>", ["Replicas"] = "0" });
    }

    [Fact]
    public void CertificateSigningRequests_ShowSignerRequestorDurationAndCondition()
    {
        Cells(Row("certificatesigningrequests", """
            {"metadata":{"name":"csr-1","creationTimestamp":"2026-11-25T11:58:00Z"},
             "spec":{"signerName":"kubernetes.io/kube-apiserver-client","username":"alice","expirationSeconds":600},
             "status":{"conditions":[{"type":"Approved","status":"True"}],"certificate":"eA=="}}
            """)).Should().Equal(new Dictionary<string, string?>
        {
            ["Name"] = "csr-1", ["Age"] = "2m", ["SignerName"] = "kubernetes.io/kube-apiserver-client", ["Requestor"] = "alice",
            ["RequestedDuration"] = "10m", ["Condition"] = "Approved,Issued",
        });
        Cells(Row("certificatesigningrequests", """{"metadata":{"name":"csr-2"},"spec":{},"status":{}}"""))
            .Should().Contain(new Dictionary<string, string?> { ["SignerName"] = "<none>", ["RequestedDuration"] = "<none>", ["Condition"] = "Pending" });
        TableColumns.CertificateCondition((JsonObject)JsonNode.Parse("""{"status":{"conditions":[{"type":"Approved"},{"type":"Denied"},{"type":"Failed"}]}}""")!)
            .Should().Be("Denied,Failed");
        TableColumns.For("certificatesigningrequests").Select(c => c.Name).Should().Equal("Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition");
    }

    [Fact]
    public void PodDisruptionBudget_ShowsBothBoundsAndAllowedDisruptions()
    {
        var cells = Cells(Row("poddisruptionbudgets", """
            {"metadata":{"name":"web","creationTimestamp":"2026-11-25T11:59:00Z"},"spec":{"minAvailable":2},"status":{"disruptionsAllowed":1}}
            """));

        cells.Should().BeEquivalentTo(new Dictionary<string, string?>
        {
            ["Name"] = "web", ["Min Available"] = "2", ["Max Unavailable"] = "N/A", ["Allowed Disruptions"] = "1", ["Age"] = "60s",
        });
        Cells(Row("poddisruptionbudgets", """{"metadata":{"name":"x"},"spec":{"maxUnavailable":"25%"}}"""))
            .Should().Contain(new Dictionary<string, string?> { ["Min Available"] = "N/A", ["Max Unavailable"] = "25%", ["Allowed Disruptions"] = "0" });
    }

    [Theory]
    [InlineData("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", "v1")]
    [InlineData("application/json;as=Table;v=v1beta1;g=meta.k8s.io", "v1beta1")]
    [InlineData("application/json", null)]
    [InlineData("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", null)]
    [InlineData("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1;g=meta.k8s.io", "v1")]
    public void TableRequest_ReadsAcceptAsKubectlSendsIt(string accept, string? version)
    {
        TableRequest.From(accept, null)?.Version.Should().Be(version);
        (TableRequest.From(accept, null) is null).Should().Be(version is null);
    }
}
