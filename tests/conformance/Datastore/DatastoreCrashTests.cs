using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using K3sLab.K3s.Etcd.Wire;
using K3sLab.Lab.Host;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// kill -9 of <c>k3s datastore serve</c> in the middle of a write storm, then a restart on the same file: every
/// acknowledged write must be there at its revision, and watchers, before and after, must see revisions without a gap.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DatastoreCrashTests
{
    private const int Writers = 32;

    [Fact]
    public async Task KillDuringWriteStorm_Restart_EveryAcknowledgedWriteSurvivesWithoutRevisionGaps()
    {
        var ct = TestContext.Current.CancellationToken;
        await new PublishedRuntime().InitializeAsync();
        var root = Directory.CreateTempSubdirectory("k3slab-crash-");
        try
        {
            var file = Path.Combine(root.FullName, "state.db");
            var acked = new ConcurrentBag<(string Key, long Value, long Revision)>();
            var watched = new List<long>();
            using (var first = await StartAsync(file, ct))
            {
                using var channel = GrpcChannel.ForAddress(first.Url);
                var kv = new KV.KVClient(channel);
                var watch = new Watch.WatchClient(channel).Watch(cancellationToken: ct);
                await watch.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8("crash/"), RangeEnd = ByteString.CopyFromUtf8("crash0"), StartRevision = 2 } }, ct);
                var watcher = Task.Run(
                    async () =>
                    {
                        try
                        {
                            await foreach (var response in watch.ResponseStream.ReadAllAsync(ct))
                            {
                                watched.AddRange(response.Events.Select(e => e.Kv.ModRevision));
                            }
                        }
                        catch (RpcException)
                        {
                            // The server died: the stream ends.
                        }
                    },
                    ct);

                var storm = Enumerable.Range(0, Writers).Select(w => Task.Run(
                    async () =>
                    {
                        for (long i = 0; ; i++)
                        {
                            var key = $"crash/{w:D2}";
                            try
                            {
                                var put = await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(i.ToString(CultureInfo.InvariantCulture)) }, cancellationToken: ct);
                                acked.Add((key, i, put.Header.Revision));
                            }
                            catch (RpcException)
                            {
                                return;
                            }
                        }
                    },
                    ct)).ToList();

                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (acked.Count < 3000 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20, ct);
                }

                first.Process.Kill();
                await first.Process.WaitForExitAsync(ct);
                await Task.WhenAll(storm);
                await watcher;
            }

            acked.Should().HaveCountGreaterThan(1000, "the storm must have been under way when the server was killed");
            watched.Should().Equal(Enumerable.Range(2, watched.Count).Select(i => (long)i), "the watcher saw every revision in order up to the crash");

            using var second = await StartAsync(file, ct);
            using var again = GrpcChannel.ForAddress(second.Url);
            var client = new KV.KVClient(again);
            var current = (await client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("crash/"), RangeEnd = ByteString.CopyFromUtf8("crash0"), CountOnly = true }, cancellationToken: ct)).Header.Revision;
            current.Should().BeGreaterThanOrEqualTo(acked.Max(a => a.Revision));
            foreach (var (key, value, revision) in acked)
            {
                var read = await client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key), Revision = revision }, cancellationToken: ct);
                read.Kvs.Should().ContainSingle().Which.Value.ToStringUtf8().Should().Be(value.ToString(CultureInfo.InvariantCulture), $"{key} was acknowledged at revision {revision}");
            }

            // After the restart a watch from the start replays every revision: no gap, nothing acknowledged missing.
            var replay = new Watch.WatchClient(again).Watch(cancellationToken: ct);
            await replay.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8("crash/"), RangeEnd = ByteString.CopyFromUtf8("crash0"), StartRevision = 2 } }, ct);
            var replayed = new List<long>();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await foreach (var response in replay.ResponseStream.ReadAllAsync(timeout.Token))
            {
                replayed.AddRange(response.Events.Select(e => e.Kv.ModRevision));
                if (replayed.Count > 0 && replayed[^1] >= current)
                {
                    break;
                }
            }

            replayed.Should().Equal(Enumerable.Range(2, (int)current - 1).Select(i => (long)i));
            TestContext.Current.TestOutputHelper?.WriteLine($"{acked.Count} writes acknowledged before kill -9, the watcher had seen {watched.Count}; after restart revision {current} (>= highest acknowledged {acked.Max(a => a.Revision)}), all acknowledged writes read back, replay of {replayed.Count} revisions without a gap");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static async Task<Server> StartAsync(string file, CancellationToken ct)
    {
        var port = Loopback.FreePort();
        var start = new ProcessStartInfo(K3sLab.Lab.LabPaths.RuntimeExecutable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "datastore", "serve", "--endpoint", "sqlite://" + file, "--listen-address", $"127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await Loopback.AcceptsAsync(port, ct))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"k3s datastore serve did not start (exited: {process.HasExited})");
            }

            await Task.Delay(50, ct);
        }

        return new Server(process, $"http://127.0.0.1:{port}");
    }

    private sealed record Server(Process Process, string Url) : IDisposable
    {
        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }
}
