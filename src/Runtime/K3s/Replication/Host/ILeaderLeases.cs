using K3sLab.K3s.Replication.Transport;

namespace K3sLab.K3s.Replication.Host;

/// <summary>The leader's lease clock, as the peer protocol asks it for followers' clients.</summary>
internal interface ILeaderLeases
{
    /// <summary>Renews a lease; its TTL, 0 when it does not exist, null when this member does not lead.</summary>
    long? KeepAliveAsLeader(long id);

    LeaseAnswer TimeToLiveAsLeader(long id, bool withKeys);
}
