using System.Diagnostics;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// The official Kubernetes Python client (Debian's python3-kubernetes) against a real <c>k3s server</c>: typed
/// objects round-trip, resourceVersions order, a watch from a create's resourceVersion sees every later change,
/// paging and selectors work, and errors come back as the statuses the client decodes.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class PythonClientTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    [Fact]
    public async Task OfficialPythonClient_DrivesTheApi()
    {
        var ct = TestContext.Current.CancellationToken;
        var script = Path.Combine(AppContext.BaseDirectory, "ApiServer", "Python", "client_smoke.py");
        // Debian's interpreter, which python3-kubernetes installs into (a python3 earlier on PATH may not have it).
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { script, server.Kubeconfig, "python-client" })
        {
            start.ArgumentList.Add(arg);
        }

        using var python = Process.Start(start)!;
        var stdout = python.StandardOutput.ReadToEndAsync(ct);
        var stderr = python.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        await python.WaitForExitAsync(timeout.Token);

        python.ExitCode.Should().Be(0, await stderr + server.Log);
        (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(
            "created settings a True",
            "patched b True",
            "replaced c",
            "stale replace 409 Conflict",
            "watched MODIFIED:settings:b MODIFIED:settings:c DELETED:settings:c",
            "missing 404 NotFound",
            "duplicate 409 AlreadyExists",
            "invalid name 422 Invalid",
            "paged ['page-0', 'page-1'] 3 ['page-2', 'page-3', 'page-4']",
            "selected ['page-0', 'page-2', 'page-4']",
            "deployment 2 busybox:1.36 1");
    }
}
