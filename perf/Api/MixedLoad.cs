using System.Collections.Concurrent;
using System.Globalization;

namespace K3sLab.Perf.Api;

/// <summary>
/// Issue 11's mixed ConfigMap load, in the proportions of kine's benchmark: 20 % creates, 50 % gets, 20 % updates and
/// 10 % deletes, each request's kind drawn from its index, in a closed loop, with objects of one size (1 KiB or 50 KiB)
/// in a namespace of their own. Gets and updates pick among objects seeded before the phase, which nothing deletes;
/// deletes take objects seeded for them, so no request of the mix can race another into a 404.
/// </summary>
internal static class MixedLoad
{
    private const int Stable = 200;

    public static async Task<PhaseRun> RunAsync(IApiTarget server, AdminConnections connections, ApiSuiteOptions options, int kib, CancellationToken ct)
    {
        var ns = string.Create(CultureInfo.InvariantCulture, $"{server.NamespacePrefix}-mix-{kib}k");
        var bytes = kib * 1024;
        var requests = options.MixRequests;
        var doomed = (int)(requests / 10) + options.MixClients + 16;
        await ApiPhases.RequireAsync(ApiRequests.CreateNamespaceAsync(connections[0], ns, ct), ns);
        var seed = await ClosedLoop.RunAsync(server, connections, "seed", 16, Stable + doomed, options.PhaseTimeout, (client, i, token) =>
            ApiRequests.CreateSizedAsync(client, ns, i < Stable ? StableName(i) : Doomed(i - Stable), bytes, token), ct);
        if (seed.Errors > 0)
        {
            throw new InvalidOperationException($"could not seed the mixed load's {Stable + doomed} objects of {kib} KiB: {seed.FirstError}");
        }

        var deletable = new ConcurrentQueue<string>(Enumerable.Range(0, doomed).Select(i => Doomed(i)));
        return await ClosedLoop.RunAsync(server, connections, string.Create(CultureInfo.InvariantCulture, $"mix {kib} KiB (20/50/20/10)"), options.MixClients, requests, options.PhaseTimeout, (client, i, token) =>
        {
            // A fixed permutation of the index spreads each kind evenly over the run.
            var draw = (int)((ulong)(i * 2654435761L) % 100);
            var pick = StableName((int)((ulong)(i * 40503L) % Stable));
            return draw switch
            {
                < 20 => ApiRequests.CreateSizedAsync(client, ns, string.Create(CultureInfo.InvariantCulture, $"new-{i:d7}"), bytes, token),
                < 70 => ApiRequests.GetAsync(client, ns, pick, token),
                < 90 => ApiRequests.UpdateAsync(client, ns, pick, bytes, token),
                _ => deletable.TryDequeue(out var name) ? ApiRequests.DeleteAsync(client, ns, name, token) : Task.FromResult<string?>("no object left to delete (the seed was too small)"),
            };
        }, ct);
    }

    /// <summary>The namespaces a run creates, for deletion on a cluster that outlives it.</summary>
    public static IEnumerable<string> Namespaces(IApiTarget server, ApiSuiteOptions options) =>
        options.MixSizesKiB.Select(k => string.Create(CultureInfo.InvariantCulture, $"{server.NamespacePrefix}-mix-{k}k"));

    private static string StableName(long i) => string.Create(CultureInfo.InvariantCulture, $"stable-{i:d4}");

    private static string Doomed(long i) => string.Create(CultureInfo.InvariantCulture, $"doomed-{i:d6}");
}
