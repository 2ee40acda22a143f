using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Workloads;

/// <summary>
/// The Kubernetes-level workload: clients that read and compare-and-swap a few ConfigMap "registers" through the
/// API (a PUT carrying the resourceVersion last read is a CAS on the key's mod revision; 409 means it did not
/// apply), and append to a ledger of uniquely named ConfigMaps. Every request is recorded with its call and return
/// time and outcome: ok, failed (definitely not applied: 404 or 409) or unknown (timeout, connection error, 5xx,
/// any other answer). Reads with no definite answer are recorded as unknown and ignored by the checker.
/// </summary>
public sealed class RegisterWorkload : IAsyncDisposable
{
    public const string Namespace = "k3slab-chaos";
    public const string LedgerLabel = "k3slab.io/ledger";
    private const int MaxOperationsPerClient = 20_000;

    private readonly ApiEndpoints _endpoints;
    private readonly RunRecord _record;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _clients = [];
    private readonly string _runId;

    /// <param name="endpoints">Where requests go.</param>
    /// <param name="record">Where operations are recorded.</param>
    /// <param name="runId">This run's id (a label value): keys and ledger names carry it, so runs on one cluster never see each other's data.</param>
    public RegisterWorkload(ApiEndpoints endpoints, RunRecord record, string runId)
    {
        _endpoints = endpoints;
        _record = record;
        _runId = runId;
    }

    private string RegisterKey(int key) => $"reg-{_runId}-{key}";

    /// <summary>
    /// Makes sure the namespace exists (retrying while the API is not there) and starts the clients. Each operation is
    /// a ledger append with probability 20%, a register read with <paramref name="readPercent"/>%, else a
    /// compare-and-swap.
    /// </summary>
    public async Task StartAsync(int clients, int keys, int readPercent, IReadOnlyList<string> via, int seed, CancellationToken cancellationToken)
    {
        await EnsureNamespaceAsync(_endpoints.For("lb"), cancellationToken);
        for (var c = 0; c < clients; c++)
        {
            var client = c;
            var random = new Random(seed * 1_000 + c);
            var target = via[c % via.Count];
            _clients.Add(Task.Run(() => ClientLoopAsync(client, target, keys, readPercent, random, _stop.Token), CancellationToken.None));
        }

        Keys = keys;
    }

    /// <summary>How many register keys the clients use (0 before start).</summary>
    public int Keys { get; private set; }

    public bool Started => _clients.Count > 0;

    /// <summary>Stops the clients and waits for their requests in flight.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    /// <summary>Reads every register once through <paramref name="via"/>, retrying each until it gets a definite answer or the deadline passes; recorded as client -1.</summary>
    public async Task FinalReadsAsync(string via, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = _record.Clock.Elapsed + within;
        for (var k = 0; k < Keys; k++)
        {
            while (await ReadAsync(-1, via, RegisterKey(k)) is null && _record.Clock.Elapsed < deadline)
            {
                await Task.Delay(500, cancellationToken);
            }
        }
    }

    /// <summary>The ledger entries that exist now (names), or null when the API does not answer.</summary>
    public async Task<IReadOnlySet<string>?> LedgerAsync(CancellationToken cancellationToken)
    {
        try
        {
            var list = await _endpoints.For("lb").CoreV1.ListNamespacedConfigMapAsync(Namespace, labelSelector: $"{LedgerLabel}={_runId}", cancellationToken: cancellationToken);
            return list.Items.Select(i => i.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    /// <summary>Creates the workload's namespace unless it exists, retrying while the API is not there (60 s).</summary>
    internal static async Task EnsureNamespaceAsync(Kubernetes api, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await api.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: cancellationToken);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                return;
            }
            catch (Exception e) when ((e is HttpOperationException or HttpRequestException or TaskCanceledException) && !cancellationToken.IsCancellationRequested && DateTime.UtcNow < deadline)
            {
                await Task.Delay(1000, cancellationToken);
            }
        }
    }

    private async Task ClientLoopAsync(int client, string via, int keys, int readPercent, Random random, CancellationToken stop)
    {
        var known = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var seq = 0; seq < MaxOperationsPerClient && !stop.IsCancellationRequested; seq++)
        {
            var roll = random.Next(100);
            var key = RegisterKey(random.Next(keys));
            if (roll < 20)
            {
                await CreateLedgerAsync(client, via, $"led-{_runId}-{client}-{seq}");
            }
            else if (roll < 20 + readPercent)
            {
                if (await ReadAsync(client, via, key) is { } seen)
                {
                    known[key] = seen;
                }
            }
            else
            {
                var next = await CasAsync(client, via, key, known.GetValueOrDefault(key), $"c{client}-{seq}");
                if (next is { } revision)
                {
                    known[key] = revision;
                }
                else
                {
                    known.Remove(key);
                }
            }

            await Task.Delay(random.Next(5, 25), CancellationToken.None);
        }
    }

    /// <summary>A read; returns the resourceVersion seen (0: absent), or null without a definite answer.</summary>
    private async Task<long?> ReadAsync(int client, string via, string key)
    {
        var call = _record.Clock.Micros;
        try
        {
            using var timeout = Timeout();
            var map = await _endpoints.For(via).CoreV1.ReadNamespacedConfigMapAsync(key, Namespace, cancellationToken: timeout.Token);
            var revision = long.Parse(map.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
            _record.Operation(new OperationRecord(client, "read", key, call, _record.Clock.Micros, OperationOutcome.Ok) { Value = map.Data?["v"], Revision = revision, Via = via });
            return revision;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            _record.Operation(new OperationRecord(client, "read", key, call, _record.Clock.Micros, OperationOutcome.Ok) { Value = null, Revision = 0, Via = via });
            return 0;
        }
        catch (Exception e) when (IsRequestFailure(e))
        {
            _record.Operation(new OperationRecord(client, "read", key, call, _record.Clock.Micros, OperationOutcome.Unknown) { Via = via, Error = Describe(e) });
            return null;
        }
    }

    /// <summary>A compare-and-swap on the resourceVersion (0: create); returns the new resourceVersion on success, null otherwise.</summary>
    private async Task<long?> CasAsync(int client, string via, string key, long expected, string value)
    {
        var call = _record.Clock.Micros;
        var map = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = key, NamespaceProperty = Namespace, ResourceVersion = expected == 0 ? null : expected.ToString(CultureInfo.InvariantCulture) },
            Data = new Dictionary<string, string> { ["v"] = value },
        };
        var api = _endpoints.For(via);
        try
        {
            using var timeout = Timeout();
            var written = expected == 0
                ? await api.CoreV1.CreateNamespacedConfigMapAsync(map, Namespace, cancellationToken: timeout.Token)
                : await api.CoreV1.ReplaceNamespacedConfigMapAsync(map, key, Namespace, cancellationToken: timeout.Token);
            var revision = long.Parse(written.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
            _record.Operation(new OperationRecord(client, "cas", key, call, _record.Clock.Micros, OperationOutcome.Ok) { Value = value, Expected = expected, Revision = revision, Via = via });
            return revision;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            _record.Operation(new OperationRecord(client, "cas", key, call, _record.Clock.Micros, OperationOutcome.Failed) { Value = value, Expected = expected, Via = via, Error = ((int)e.Response.StatusCode).ToString(CultureInfo.InvariantCulture) });
            return null;
        }
        catch (Exception e) when (IsRequestFailure(e))
        {
            _record.Operation(new OperationRecord(client, "cas", key, call, _record.Clock.Micros, OperationOutcome.Unknown) { Value = value, Expected = expected, Via = via, Error = Describe(e) });
            return null;
        }
    }

    private async Task CreateLedgerAsync(int client, string via, string name)
    {
        var call = _record.Clock.Micros;
        var map = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace, Labels = new Dictionary<string, string> { [LedgerLabel] = _runId } },
            Data = new Dictionary<string, string> { ["client"] = client.ToString(CultureInfo.InvariantCulture) },
        };
        try
        {
            using var timeout = Timeout();
            var written = await _endpoints.For(via).CoreV1.CreateNamespacedConfigMapAsync(map, Namespace, cancellationToken: timeout.Token);
            _record.Operation(new OperationRecord(client, "create", name, call, _record.Clock.Micros, OperationOutcome.Ok) { Revision = long.Parse(written.Metadata.ResourceVersion, CultureInfo.InvariantCulture), Via = via });
        }
        catch (Exception e) when (IsRequestFailure(e))
        {
            _record.Operation(new OperationRecord(client, "create", name, call, _record.Clock.Micros, OperationOutcome.Unknown) { Via = via, Error = Describe(e) });
        }
    }

    /// <summary>A request's own timeout, not the run stopping: requests in flight when the load stops still finish.</summary>
    private static CancellationTokenSource Timeout()
    {
        var timeout = new CancellationTokenSource();
        timeout.CancelAfter(ApiEndpoints.RequestTimeout);
        return timeout;
    }

    private static bool IsRequestFailure(Exception e) =>
        e is HttpOperationException or HttpRequestException or OperationCanceledException or IOException or System.Text.Json.JsonException;

    private static string Describe(Exception e) => e switch
    {
        HttpOperationException h => $"{(int)h.Response.StatusCode} {Shorten(h.Response.Content)}",
        TaskCanceledException or OperationCanceledException => "timeout",
        _ => Shorten(e.GetBaseException().Message),
    };

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 160 ? text : text[..160];
}
