using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Hollow;

/// <summary>What <c>k3s hollow-nodes</c> was told, after its flags were read and checked.</summary>
/// <param name="ServerUrl">The server every hollow node joins and talks to directly (no agent load balancer).</param>
/// <param name="Token">The join token, as for <c>k3s agent</c>.</param>
/// <param name="Count">How many hollow nodes to run in this process.</param>
/// <param name="NamePrefix">Node names are the prefix and the node's index from 0: <c>hollow-0</c>, <c>hollow-1</c>, …</param>
/// <param name="Root">Where each node keeps its key, certificate and node password, under <c>&lt;root&gt;/&lt;node&gt;/agent</c>.</param>
/// <param name="JoinConcurrency">How many nodes join at once; the rest queue, so the supervisor is not flooded.</param>
internal sealed record HollowNodeSettings(Uri ServerUrl, JoinToken Token, int Count, string NamePrefix, string Root, int JoinConcurrency = 16);
