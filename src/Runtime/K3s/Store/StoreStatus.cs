namespace K3sLab.K3s.Store;

/// <summary>The store's state as the etcd Status call reports it.</summary>
internal sealed record StoreStatus(long Revision, long CompactRevision, long DbSizeBytes, long DbSizeInUseBytes, ulong MemberId, ulong ClusterId, string MemberName);

/// <summary>A hash of the key-value history up to a revision, for comparing members' copies (etcd HashKV).</summary>
internal sealed record StoreHash(uint Hash, long HashRevision, long CompactRevision);
