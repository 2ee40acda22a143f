namespace K3sLab.Tests.Support;

/// <summary>
/// What an API test suite needs of the cluster it talks to, so one suite runs against a single <c>k3s server</c>
/// process (<see cref="K3sServerProcess"/>) and against a lab cluster of Docker nodes alike.
/// </summary>
public interface IApiTarget
{
    /// <summary>An admin kubeconfig.</summary>
    string Kubeconfig { get; }

    /// <summary>A scratch folder for the test's files (manifests, kubectl caches).</summary>
    DirectoryInfo Root { get; }

    /// <summary>The servers' recent output, for failure messages.</summary>
    string Log { get; }
}
