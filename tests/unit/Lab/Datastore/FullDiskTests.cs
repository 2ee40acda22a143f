using System.Diagnostics;
using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Sql.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using static K3sLab.Lab.Tests.Datastore.TempStore;

namespace K3sLab.Lab.Tests.Datastore;

/// <summary>
/// A real full disk (a 4 MiB tmpfs): writes fail with etcd's "database space exceeded", nothing acknowledged is lost,
/// and writing resumes once space is freed. A read-only file system stops the store at open with one sentence.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FullDiskTests
{
    [Fact]
    public async Task Put_DiskFull_FailsWithNoSpaceKeepsAcknowledgedWritesAndRecovers()
    {
        Environment.IsPrivilegedProcess.Should().BeTrue("mounting the small tmpfs this test fills needs root, as CI runs");
        var root = Directory.CreateTempSubdirectory("k3slab-full-");
        Run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", root.FullName);
        try
        {
            var filler = Path.Combine(root.FullName, "filler");
            await File.WriteAllBytesAsync(filler, new byte[512 * 1024], TestContext.Current.CancellationToken);
            var acked = new List<(string Key, long Revision)>();
            StoreException? full = null;
            await using (var store = SqliteStore.Open(new SqliteStoreOptions(Path.Combine(root.FullName, "state.db")) { AutoCompactInterval = TimeSpan.Zero }, NullLogger.Instance))
            {
                var value = new byte[4096];
                for (var i = 0; i < 5000 && full is null; i++)
                {
                    try
                    {
                        var key = $"fill/{i:D5}";
                        acked.Add((key, (await store.TxnAsync(TxnRequest.Of(new PutOp(B(key), value)), CancellationToken.None)).Revision));
                    }
                    catch (StoreException e)
                    {
                        full = e;
                    }
                }

                full.Should().NotBeNull("4 MiB cannot hold 5,000 values of 4 KiB");
                full!.Error.Should().Be(StoreError.NoSpace);
                full.Message.Should().Contain("disk holding the datastore is full");
                foreach (var (key, revision) in acked)
                {
                    (await store.RangeAsync(new RangeQuery(KeyRange.Single(B(key))), CancellationToken.None)).Kvs.Should().ContainSingle($"{key} was acknowledged at revision {revision}");
                }

                File.Delete(filler);
                var after = await store.TxnAsync(TxnRequest.Of(new PutOp(B("after"), B("space freed"))), CancellationToken.None);
                after.Revision.Should().Be(acked[^1].Revision + 1, "the failed writes handed their revisions back");
            }
        }
        finally
        {
            Run("umount", root.FullName);
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Open_ReadOnlyFileSystem_FailsWithOneSentenceAndKeepsTheData()
    {
        Environment.IsPrivilegedProcess.Should().BeTrue("mounting and remounting a tmpfs needs root, as CI runs");
        var root = Directory.CreateTempSubdirectory("k3slab-ro-");
        Run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", root.FullName);
        var path = Path.Combine(root.FullName, "state.db");
        try
        {
            long revision;
            await using (var store = SqliteStore.Open(new SqliteStoreOptions(path) { AutoCompactInterval = TimeSpan.Zero }, NullLogger.Instance))
            {
                revision = (await store.TxnAsync(TxnRequest.Of(new PutOp(B("kept"), B("before read-only"))), CancellationToken.None)).Revision;
            }

            Run("mount", "-o", "remount,ro", root.FullName);
            var open = () => SqliteStore.Open(new SqliteStoreOptions(path) { AutoCompactInterval = TimeSpan.Zero }, NullLogger.Instance);
            open.Should().Throw<StoreException>().Which.Message.Should().Be(
                $"the datastore at {path} is not writable (Read-only file system : '{Path.Combine(root.FullName, $".k3s-write-probe-{Environment.ProcessId}")}'); the store writes its file, its WAL and its shared-memory index in {root.FullName}");

            Run("mount", "-o", "remount,rw", root.FullName);
            await using var again = SqliteStore.Open(new SqliteStoreOptions(path) { AutoCompactInterval = TimeSpan.Zero }, NullLogger.Instance);
            var kept = await again.RangeAsync(new RangeQuery(KeyRange.Single(B("kept"))), CancellationToken.None);
            kept.Kvs.Should().ContainSingle().Which.ModRevision.Should().Be(revision);
        }
        finally
        {
            Run("umount", root.FullName);
            root.Delete(recursive: true);
        }
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"{file} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
    }
}
