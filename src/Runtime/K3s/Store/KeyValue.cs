namespace K3sLab.K3s.Store;

/// <summary>
/// One version of a key, as etcd's <c>mvccpb.KeyValue</c>: the revision that created the key (its current life),
/// the revision of this change, the number of changes since creation, the value and the attached lease (0: none).
/// </summary>
internal sealed record KeyValue(byte[] Key, long CreateRevision, long ModRevision, long Version, byte[] Value, long Lease);
