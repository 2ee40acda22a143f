using System.Collections.Concurrent;
using K3sLab.K3s.Tunnel;

namespace K3sLab.K3s.Supervisor;

/// <summary>
/// The agents connected to this server through <c>/v1-k3s/connect</c>, by node name: one session per node (an
/// agent keeps one tunnel per server, so a second one from the same node replaces the first, as after a reconnect
/// the old one may not have been noticed dead yet). Thread-safe.
/// </summary>
internal sealed class TunnelSessions
{
    private readonly ConcurrentDictionary<string, TunnelSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>The nodes with a tunnel now.</summary>
    public IReadOnlyCollection<string> Nodes => [.. _sessions.Keys];

    /// <summary>The tunnel of <paramref name="node"/>, if it has one to this server.</summary>
    public TunnelSession? Find(string node) => _sessions.TryGetValue(node, out var session) ? session : null;

    /// <summary>Registers a session; returns the one it replaced, which the caller closes.</summary>
    public TunnelSession? Add(string node, TunnelSession session)
    {
        TunnelSession? replaced = null;
        _sessions.AddOrUpdate(node, session, (_, old) =>
        {
            replaced = old;
            return session;
        });
        return replaced == session ? null : replaced;
    }

    /// <summary>Removes <paramref name="session"/> if it is still the node's current one.</summary>
    public void Remove(string node, TunnelSession session) =>
        _sessions.TryRemove(new KeyValuePair<string, TunnelSession>(node, session));
}
