using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Components;
using K3sLab.K3s.ApiServer.Resources.Tables;
using K3sLab.Lab.Tests.Datastore;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>
/// <c>kubectl get componentstatuses</c>: the documents kube-apiserver would return for the scheduler, the controller
/// manager and the datastore (a real SQLite store), and the table kubectl prints from them.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ComponentStatusesTests
{
    private static string[] Row(JsonObject status) =>
        [.. TableColumns.For(ComponentStatusEndpoint.Resource).Select(c => c.Cell(status, DateTimeOffset.UnixEpoch)?.ToString() ?? "<null>")];

    [Fact]
    public async Task CheckAll_SchedulerAndControllerManagerAsTheServerSetsThem_DatastoreChecked()
    {
        await using var store = new TempStore();
        var components = new ComponentStatuses(store.Store);

        var before = await components.CheckAllAsync(TestContext.Current.CancellationToken);
        before.Select(r => string.Join('|', Row(r))).Should().Equal(
            "controller-manager|Unhealthy|kube-controller-manager has not started on this server yet|",
            "etcd-0|Healthy|ok|",
            "scheduler|Unhealthy|kube-scheduler has not started on this server yet|");

        components.Set(ComponentStatuses.Scheduler, null);
        components.Set(ComponentStatuses.ControllerManager, "kube-controller-manager does not run on this server (--disable-controller-manager)");
        var after = await components.CheckAllAsync(TestContext.Current.CancellationToken);
        Row(after[0]).Should().Equal("controller-manager", "Unhealthy", "kube-controller-manager does not run on this server (--disable-controller-manager)", "");
        Row(after[2]).Should().Equal("scheduler", "Healthy", "ok", "");
        after[2].ToJsonString().Should().Be("""{"kind":"ComponentStatus","apiVersion":"v1","metadata":{"name":"scheduler"},"conditions":[{"type":"Healthy","status":"True","message":"ok"}]}""");
        (await components.CheckAsync("kube-proxy", TestContext.Current.CancellationToken)).Should().BeNull();
    }

    [Fact]
    public async Task Check_DatastoreFails_EtcdUnhealthyWithTheReasonAsItsError()
    {
        var store = new TempStore();
        var components = new ComponentStatuses(store.Store);
        await store.DisposeAsync();

        var etcd = (await components.CheckAsync(ComponentStatuses.Datastore, TestContext.Current.CancellationToken))!;

        var row = Row(etcd);
        row[..3].Should().Equal("etcd-0", "Unhealthy", "");
        row[3].Should().NotBeEmpty();
        etcd["conditions"]![0]!.AsObject().ContainsKey("message").Should().BeFalse("Go leaves an empty message out");
    }

    [Fact]
    public void Table_NoHealthyCondition_Unknown() =>
        Row(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "etcd-1" }, ["conditions"] = new JsonArray() }).Should().Equal("etcd-1", "Unknown", "", "");
}
