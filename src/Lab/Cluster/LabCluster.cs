using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Cluster;

/// <summary>A created cluster: where its API is, the admin kubeconfig written for it, its join token and nodes.</summary>
/// <param name="Name">The cluster name.</param>
/// <param name="ApiUrl">The API through the load balancer, e.g. <c>https://127.0.0.1:45123</c>.</param>
/// <param name="KubeconfigPath">The admin kubeconfig (context <c>k3slab-&lt;name&gt;</c>), mode 0600.</param>
/// <param name="Token">The cluster's join token.</param>
/// <param name="Nodes">The node containers, the load balancer included.</param>
/// <param name="Elapsed">How long creation took.</param>
public sealed record LabCluster(string Name, Uri ApiUrl, string KubeconfigPath, string Token, IReadOnlyList<LabNode> Nodes, TimeSpan Elapsed);
