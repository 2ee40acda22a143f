using System.Diagnostics;
using K3sLab.K3s.Replication.Storage;
using K3sLab.K3s.Store;
using K3sLab.Raft;
using static K3sLab.Lab.Tests.Replication.Storage.TempWal;

namespace K3sLab.Lab.Tests.Replication.Storage;

/// <summary>
/// A real full disk (a 1 MiB tmpfs): the failing save gets NoSpace, later saves fail too, and every acknowledged
/// entry recovers once the disk has room again.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WalFullDiskTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SaveAsync_DiskFull_FailsWithNoSpaceAndAcknowledgedEntriesRecover(bool preallocate)
    {
        Environment.IsPrivilegedProcess.Should().BeTrue("mounting the small tmpfs this test fills needs root, as CI runs");
        var root = Directory.CreateTempSubdirectory("k3slab-walfull-");
        Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", root.FullName);
        try
        {
            using var t = new TempWal(WalOptions.Default with { SegmentSize = 128 * 1024, Preallocate = preallocate }, root.FullName);
            var acked = new List<ulong>();
            StoreException? full = null;
            await using (var wal = t.Create())
            {
                var data = new string('d', 3000);
                for (ulong i = 1; i <= 1000 && full is null; i++)
                {
                    try
                    {
                        await wal.SaveAsync(new HardState(1, 1, i - 1), [E(i, 1, data)], Ct);
                        acked.Add(i);
                    }
                    catch (StoreException e)
                    {
                        full = e;
                    }
                }

                full.Should().NotBeNull("1 MiB cannot hold 1,000 entries of 3 KB");
                full!.Error.Should().Be(StoreError.NoSpace);
                full.Message.Should().Contain("is full").And.Contain("not acknowledged");
                var after = () => wal.SaveAsync(null, [E((ulong)acked.Count + 1, 1)], Ct);
                (await after.Should().ThrowAsync<StoreException>()).Which.Message.Should().Contain("stopped accepting writes");
            }

            Run("mount", "-o", "remount,size=4m", root.FullName);
            var opened = await t.OpenAsync();
            await using (opened.Wal)
            {
                opened.Recovery.Entries.Select(e => e.Index).Should().Equal(acked);
                opened.Recovery.HardState!.Value.Commit.Should().Be(acked[^1] - 1);
                await opened.Wal.SaveAsync(null, [E((ulong)acked.Count + 1, 1)], Ct);
            }
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
