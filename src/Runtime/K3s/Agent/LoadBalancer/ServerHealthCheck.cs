namespace K3sLab.K3s.Agent.LoadBalancer;

/// <summary>
/// Checks one server (host:port) and answers whether it can take the agent's connections. The host calls it for
/// every listed server on each round, concurrently, with a token that fires at the check timeout; an exception or a
/// cancelled check counts as unhealthy. <see cref="PingHealthCheck"/> is the agent's check.
/// </summary>
internal delegate Task<bool> ServerHealthCheck(string address, CancellationToken cancellationToken);
