using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Server.Snapshots;
using K3sLab.K3s.Store;

namespace K3sLab.Lab.Tests.Server;

/// <summary>Snapshot files on disk: state plus SHA-256, checked before use, never left half-written under their name.</summary>
[Trait("Category", "Integration")]
public sealed class DatastoreSnapshotFileTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("k3slab-snapshots-");

    public void Dispose() => _root.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_root.FullName, name);

    private static MvccState State(int keys)
    {
        var state = new MvccState();
        for (var i = 0; i < keys; i++)
        {
            state.Apply(new TxnCommand(TxnRequest.Of(new PutOp(System.Text.Encoding.UTF8.GetBytes($"k{i}"), [(byte)i], 0))), out _);
        }

        return state;
    }

    private static byte[] Bytes(MvccState state)
    {
        using var stream = new MemoryStream();
        state.WriteSnapshot(stream);
        return stream.ToArray();
    }

    private static Task WriteStateAsync(MvccState state, Stream destination, CancellationToken ct)
    {
        state.WriteSnapshot(destination);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task WriteAsync_ThenRead_GivesTheStateBack_AndEndsPaddedWithItsSha256()
    {
        var state = State(20);
        var path = PathOf("on-demand-n-1");

        await DatastoreSnapshotFile.WriteAsync(path, (s, ct) => WriteStateAsync(state, s, ct), TestContext.Current.CancellationToken);

        Bytes(DatastoreSnapshotFile.Read(path)).Should().Equal(Bytes(state));
        var file = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        file[^32..].Should().Equal(System.Security.Cryptography.SHA256.HashData(file.AsSpan(0, file.Length - 32)));
        ((file.Length - 32) % 512).Should().Be(0, "etcdctl recognises the hash trailer by a length of 512n + 32");
        _root.GetFiles().Select(f => f.Name).Should().Equal("on-demand-n-1");
    }

    [Fact]
    public async Task Read_OfWhatIsNotASnapshot_SaysWhatIsWrongWithIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(PathOf("short"), "not a snapshot", ct);
        await File.WriteAllBytesAsync(PathOf("text"), System.Text.Encoding.UTF8.GetBytes(new string('x', 4096)), ct);
        var garbage = new byte[100];
        Random.Shared.NextBytes(garbage);
        await File.WriteAllBytesAsync(PathOf("hashed-garbage"), [.. garbage, .. System.Security.Cryptography.SHA256.HashData(garbage)], ct);
        await DatastoreSnapshotFile.WriteAsync(PathOf("damaged"), (s, c) => WriteStateAsync(State(5), s, c), ct);
        var damaged = await File.ReadAllBytesAsync(PathOf("damaged"), ct);
        damaged[10] ^= 1;
        await File.WriteAllBytesAsync(PathOf("damaged"), damaged, ct);

        Refused("missing").Should().Contain("does not exist");
        Refused("short").Should().Contain("is not a datastore snapshot: it is too short");
        Refused("text").Should().Contain("its SHA-256 trailer does not match its contents");
        Refused("damaged").Should().Contain("its SHA-256 trailer does not match its contents");
        Refused("hashed-garbage").Should().Contain("is not a snapshot of this datastore");
    }

    [Fact]
    public async Task CopyVerifiedAsync_OfABadStream_LeavesNoFileBehind()
    {
        var ct = TestContext.Current.CancellationToken;
        var copy = () => DatastoreSnapshotFile.CopyVerifiedAsync(PathOf("on-demand-n-2"), (s, c) => s.WriteAsync(new byte[500], c).AsTask(), ct);

        await copy.Should().ThrowAsync<SnapshotFileException>();
        _root.GetFiles().Should().BeEmpty("neither the snapshot's name nor a temporary file may stay");
    }

    [Fact]
    public async Task Directory_ListsDeletesAndPrunes_OnlySnapshotFilesInIt()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var name in new[] { "etcd-snapshot-n-300", "etcd-snapshot-n-100", "etcd-snapshot-n-200", "on-demand-n-150", ".on-demand-n-400.part" })
        {
            await File.WriteAllTextAsync(PathOf(name), name, ct);
        }

        var directory = new SnapshotDirectory(_root.FullName);
        directory.List().Select(s => s.Name).Should().Equal("etcd-snapshot-n-100", "on-demand-n-150", "etcd-snapshot-n-200", "etcd-snapshot-n-300");
        directory.List()[0].Location.Should().Be(new Uri(PathOf("etcd-snapshot-n-100")).AbsoluteUri).And.StartWith("file:///");

        directory.Prune("etcd-snapshot-n-", 2).Should().Equal("etcd-snapshot-n-100");
        directory.Delete("../etcd-snapshot-n-200").Should().BeFalse();
        directory.Delete(".on-demand-n-400.part").Should().BeFalse();
        directory.Delete("nope").Should().BeFalse();
        directory.Delete("on-demand-n-150").Should().BeTrue();
        directory.List().Select(s => s.Name).Should().Equal("etcd-snapshot-n-200", "etcd-snapshot-n-300");
    }

    private string Refused(string name) =>
        FluentActions.Invoking(() => DatastoreSnapshotFile.Read(PathOf(name))).Should().Throw<SnapshotFileException>().Which.Message;
}
