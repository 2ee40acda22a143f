namespace K3sLab.K3s.Store;

/// <summary>A granted lease: its ID and the TTL in seconds it was granted with (raised to the store's minimum).</summary>
internal sealed record LeaseGrant(long Id, long Ttl);

/// <summary>A lease's remaining and granted TTL in seconds and, when asked for, the keys attached to it.</summary>
internal sealed record LeaseStatus(long Id, long RemainingTtl, long GrantedTtl, IReadOnlyList<byte[]> Keys);
