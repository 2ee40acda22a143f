namespace K3sLab.K3s.Agent;

/// <summary>
/// A join step failed in a way that may pass by itself (the server is unreachable, starting, or answered 5xx, or the
/// node's password is not accepted yet): the agent logs the reason and tries again, as k3s does, rather than exiting.
/// Failures that only the user can fix (a wrong token, a CA that does not match it) are other
/// <see cref="Bootstrap.BootstrapException"/>s; a server joining a cluster, which cannot wait, treats this one as fatal too.
/// </summary>
internal sealed class ServerNotReadyException(string message) : Bootstrap.BootstrapException(message);
