using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Metrics;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class ApiMetricsTests
{
    [Fact]
    public void Requests_AreCountedAndTimedWithKubesLabels_WatchesAsLongRunning()
    {
        var metrics = new ApiMetrics();
        using (var list = metrics.Start(new RequestInfo("list", "", "v1", "dev", "configmaps", "", ""), "GET", dryRun: false))
        {
            list.Complete(200);
        }

        var watch = metrics.Start(new RequestInfo("watch", "apps", "v1", "", "deployments", "", ""), "GET", dryRun: false);
        using (var other = metrics.Start(null, "BREW", dryRun: false))
        {
            other.Complete(404);
        }

        var open = metrics.Render();
        open.Should().Contain("apiserver_request_total{code=\"200\",component=\"apiserver\",dry_run=\"\",group=\"\",resource=\"configmaps\",scope=\"namespace\",subresource=\"\",verb=\"LIST\",version=\"v1\"} 1\n");
        open.Should().Contain("apiserver_request_duration_seconds_bucket{component=\"apiserver\",dry_run=\"\",group=\"\",resource=\"configmaps\",scope=\"namespace\",subresource=\"\",verb=\"LIST\",version=\"v1\",le=\"+Inf\"} 1\n");
        open.Should().Contain("apiserver_request_duration_seconds_count{component=\"apiserver\",dry_run=\"\",group=\"\",resource=\"configmaps\",scope=\"namespace\",subresource=\"\",verb=\"LIST\",version=\"v1\"} 1\n");
        open.Should().Contain("apiserver_longrunning_requests{component=\"apiserver\",dry_run=\"\",group=\"apps\",resource=\"deployments\",scope=\"cluster\",subresource=\"\",verb=\"WATCH\",version=\"v1\"} 1\n");
        open.Should().Contain("verb=\"other\"", "unknown methods are not label values");
        open.Should().Contain("apiserver_current_inflight_requests{request_kind=\"readOnly\"} 1\n");

        watch.Complete(200);
        watch.Dispose();
        GC.Collect(); // the GC figures are those of the last collection: make sure there was one
        var closed = metrics.Render();
        closed.Should().Contain("verb=\"WATCH\",version=\"v1\"} 0\n").And.NotContain("apiserver_request_duration_seconds_bucket{component=\"apiserver\",dry_run=\"\",group=\"apps\"");
        closed.Should().Contain("apiserver_current_inflight_requests{request_kind=\"readOnly\"} 0\n");
        closed.Should().Contain("process_resident_memory_bytes ");
        closed.Should().MatchRegex(@"\ndotnet_gc_heap_size_bytes [1-9][0-9]*\n", "the heap holds at least this test's objects");
        closed.Should().MatchRegex(@"\ndotnet_gc_committed_bytes [1-9][0-9]*\n");
        closed.Should().Contain("dotnet_collection_count_total{generation=\"2\"} ").And.Contain("# TYPE dotnet_gc_fragmented_bytes gauge\n");
    }
}
