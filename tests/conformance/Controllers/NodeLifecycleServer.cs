using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// A server running kube-controller-manager (no kubelet), with <c>node-monitor-grace-period=10s</c> so a node that stops
/// renewing goes Unknown within seconds; shared by the node lifecycle and garbage collector tests.
/// </summary>
public sealed class NodeLifecycleServer : IAsyncLifetime
{
    public K3sServerProcess Server { get; } = K3sServerProcess.WithControllers(kubelet: false, "--kube-controller-manager-arg", "node-monitor-grace-period=10s");

    public ValueTask InitializeAsync() => Server.InitializeAsync();

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
