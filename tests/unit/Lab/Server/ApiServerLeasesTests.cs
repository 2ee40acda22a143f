using System.Diagnostics;
using System.Net;
using System.Text;
using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.Server;
using K3sLab.K3s.Store;
using K3sLab.Lab.Tests.Datastore;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Server;

/// <summary>
/// The API servers' lease reconciler on a real SQLite store: another server's lease that appears or runs out changes
/// the <c>kubernetes</c> endpoints (and what the hook publishes for kube-dns) at once, through the watch of the lease
/// keys, not at the next 10 s tick.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ApiServerLeasesTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AnotherServersLease_AppearingAndRunningOut_ChangesTheEndpointsAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var t = new TempStore();
        var storage = new ObjectStorage(t.Store);
        await KubernetesService.EnsureAsync(storage, IPAddress.Parse("10.43.0.1"), "10.0.0.1", 6443, TimeProvider.System, ct);
        var published = new List<string>();
        await using var leases = await ApiServerLeases.StartAsync(storage, "10.0.0.1", 6443, TimeProvider.System, NullLogger.Instance, ct, (addresses, _) =>
        {
            lock (published)
            {
                published.Clear();
                published.AddRange(addresses);
            }

            return Task.CompletedTask;
        });
        (await ApiServerLeases.AddressesAsync(storage, ct)).Should().Equal("10.0.0.1:6443");

        // A second server takes a 1 s lease, as one that then dies without a word.
        var clock = Stopwatch.StartNew();
        var lease = await t.Store.GrantLeaseAsync(0, 1, ct);
        await t.Store.TxnAsync(TxnRequest.Of(new PutOp(Encoding.UTF8.GetBytes("/registry/masterleases/10.0.0.2"), Encoding.UTF8.GetBytes("10.0.0.2"), lease.Id)), ct);

        // The endpoints are written before the hook runs, so each step waits for both.
        await WaitForAsync(storage, ["10.0.0.1:6443", "10.0.0.2:6443"], published, ["10.0.0.1", "10.0.0.2"], ct);
        var added = clock.Elapsed;

        await WaitForAsync(storage, ["10.0.0.1:6443"], published, ["10.0.0.1"], ct);
        var removed = clock.Elapsed;

        added.Should().BeLessThan(Soon, "the reconcile ran on the new key's watch event, not on the 10 s tick");
        removed.Should().BeLessThan(Soon, "the 1 s lease ran out (the store checks twice a second) and the key's deletion started a reconcile");
    }

    private static async Task WaitForAsync(ObjectStorage storage, string[] expected, List<string> published, string[] expectedPublished, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var endpoints = await ApiServerLeases.AddressesAsync(storage, ct);
            string[] hooked;
            lock (published)
            {
                hooked = [.. published];
            }

            if (endpoints.SequenceEqual(expected) && hooked.SequenceEqual(expectedPublished))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"within 30 s the kubernetes endpoints became {string.Join(", ", endpoints)} (expected {string.Join(", ", expected)}) " +
                    $"and the hook published {string.Join(", ", hooked)} (expected {string.Join(", ", expectedPublished)})");
            }

            await Task.Delay(20, ct);
        }
    }
}
