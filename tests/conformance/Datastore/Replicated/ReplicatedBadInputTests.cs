namespace K3sLab.ConformanceTests.Datastore.Replicated;

/// <summary>Damaged data and wrong credentials: the member refuses with a clear message and loses nothing acknowledged.</summary>
[Trait("Category", "Conformance")]
public sealed class ReplicatedBadInputTests
{
    [Fact]
    public async Task CorruptWalRecordInTheMiddle_MemberRefusesToStart_NamingTheFile()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ReplicatedCluster.StartAsync(1, ct);
        var member = cluster.Members[0];
        for (var i = 0; i < 50; i++)
        {
            (await cluster.EtcdctlAsync(member, ["put", $"k/{i}", new string('x', 200)], ct)).ExitCode.Should().Be(0);
        }

        member.Kill();
        // The segment that holds the values: a fresh member closes its first segment early, once its zero-filled
        // spare is ready (docs/raft-storage.md), so the values may be in the second.
        string? segment = null;
        byte[] bytes = [];
        foreach (var path in Directory.GetFiles(Path.Combine(member.DataDir, "member", "wal"), "*.wal").Order())
        {
            bytes = await File.ReadAllBytesAsync(path, ct);
            if (bytes.AsSpan().IndexOf("xxxxxxxxxxxxxxxx"u8) >= 0)
            {
                segment = path;
                break;
            }
        }

        segment.Should().NotBeNull("a WAL segment holds the written values");
        var middle = bytes.AsSpan().IndexOf("xxxxxxxxxxxxxxxx"u8) + 4096;
        middle.Should().BeGreaterThan(4096, "the WAL holds the written values");
        bytes[middle] ^= 0x5A;
        await File.WriteAllBytesAsync(segment!, bytes, ct);

        await member.StartAsync([], ct, waitForPort: false);
        var exit = await member.WaitForExitAsync(TimeSpan.FromSeconds(30));
        exit.Should().Be(1, member.Log);
        member.Log.Should().Contain(Path.GetFileName(segment), "the message names the damaged file");
    }

    [Fact]
    public async Task ClientWithCertificateFromAnotherCa_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ReplicatedCluster.StartAsync(1, ct);
        var stranger = ClusterCertificates.Create(Path.Combine(Path.GetTempPath(), $"k3slab-stranger-{Guid.NewGuid():N}"), "another-ca");
        var result = await Etcdctl.RunAsync(cluster.Members[0].ClientUrl, ["--cacert", cluster.Certificates.Ca, "--cert", stranger.ClientCert, "--key", stranger.ClientKey, "--dial-timeout", "3s", "--command-timeout", "3s", "get", "x"], null, TimeSpan.FromSeconds(20), ct);
        result.ExitCode.Should().NotBe(0);
        Directory.Delete(stranger.Directory, recursive: true);
    }
}
