namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// Our SQLite datastore behind the etcd v3 API (<c>k3s datastore serve</c>) against real etcd 3.4, through the real
/// etcdctl 3.4: every step of <c>etcdctl-script.txt</c> must print the same, revisions included.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class DatastoreEtcdctlConformanceTests(EtcdAndDatastoreFixture stores) : IClassFixture<EtcdAndDatastoreFixture>
{
    [Fact]
    public Task Script_DatastoreAgainstEtcd_TranscriptsAreEqual() =>
        EtcdctlDifferential.AssertSameTranscriptAsync(stores.Etcd, stores.Datastore, TestContext.Current.CancellationToken);
}
