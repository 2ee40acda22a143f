namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// The replicated datastore (Raft, in-memory MVCC state, WAL) against real etcd 3.4 through the real etcdctl 3.4:
/// the same script as the SQLite store, every step printing the same, revisions included.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ReplicatedEtcdctlConformanceTests(EtcdAndReplicatedFixture stores) : IClassFixture<EtcdAndReplicatedFixture>
{
    [Fact]
    public Task Script_ReplicatedAgainstEtcd_TranscriptsAreEqual() =>
        EtcdctlDifferential.AssertSameTranscriptAsync(stores.Etcd, stores.Replicated, TestContext.Current.CancellationToken);
}
