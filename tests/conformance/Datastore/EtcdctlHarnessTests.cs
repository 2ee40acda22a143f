namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// The differential harness against itself: etcd 3.4 on both sides must give equal transcripts, which proves the
/// script is deterministic and the normalisation removes only what two correct servers may differ on.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class EtcdctlHarnessTests(EtcdPairFixture etcd) : IClassFixture<EtcdPairFixture>
{
    [Fact]
    public Task Script_EtcdAgainstEtcd_TranscriptsAreEqual() =>
        EtcdctlDifferential.AssertSameTranscriptAsync(etcd.Reference, etcd.Candidate, TestContext.Current.CancellationToken);
}
