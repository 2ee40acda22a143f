using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Election;

/// <summary>Leader election timing (kube-controller-manager's defaults: 15 s lease, 10 s renew deadline, 2 s retry).</summary>
internal sealed record LeaderElectionSettings(TimeSpan LeaseDuration, TimeSpan RenewDeadline, TimeSpan RetryPeriod)
{
    public static LeaderElectionSettings Default { get; } = new(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));
}

/// <summary>
/// Runs <c>whileLeading</c> only while this candidate holds the Lease <c>kube-system/&lt;name&gt;</c>, as
/// kube-controller-manager and kube-scheduler do across servers. It tries to acquire every retry period; once
/// leading it renews every retry period, and when renewing has failed for the renew deadline it cancels the work,
/// waits for it to stop, and campaigns again (upstream exits the process instead; a lab server keeps serving).
/// On disposal the work is stopped and the lease released, so another server takes over at once rather than after
/// the lease duration.
/// </summary>
internal sealed partial class LeaderElector : IAsyncDisposable
{
    private readonly ApiClient _api;
    private readonly string _name;
    private readonly LeaderElectionSettings _settings;
    private readonly Func<CancellationToken, Task> _whileLeading;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LeaderElection _election;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private string? _resourceVersion;
    private LeaseRecord? _current;

    public LeaderElector(ApiClient api, string name, string identity, LeaderElectionSettings settings, Func<CancellationToken, Task> whileLeading, TimeProvider time, ILogger logger)
    {
        (_api, _name, _settings, _whileLeading, _time, _logger) = (api, name, settings, whileLeading, time, logger);
        _election = new LeaderElection(identity, settings.LeaseDuration);
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Whether this candidate holds the lease now.</summary>
    public bool IsLeader { get; private set; }

    private string Path => ApiPaths.For(ApiPaths.Leases, "kube-system", _name);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (!await TryAcquireOrRenewAsync(ct))
            {
                await DelayAsync(_settings.RetryPeriod, ct);
                continue;
            }

            Log.Acquired(_logger, _name, _election.Identity);
            IsLeader = true;
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var work = Task.Run(() => _whileLeading(leading.Token), CancellationToken.None);
            await RenewAsync(work, ct);
            IsLeader = false;
            await leading.CancelAsync();
            await work.ContinueWith(_ => { }, TaskScheduler.Default);
            if (ct.IsCancellationRequested)
            {
                await ReleaseAsync();
                return;
            }

            Log.Lost(_logger, _name);
        }
    }

    /// <summary>Renews until the renew deadline passes without a success, the work ends, or shutdown.</summary>
    private async Task RenewAsync(Task work, CancellationToken ct)
    {
        var lastRenew = _time.GetUtcNow();
        while (!ct.IsCancellationRequested && !work.IsCompleted)
        {
            await Task.WhenAny(work, DelayAsync(_settings.RetryPeriod, ct));
            if (ct.IsCancellationRequested || work.IsCompleted)
            {
                return;
            }

            if (await TryAcquireOrRenewAsync(ct))
            {
                lastRenew = _time.GetUtcNow();
            }
            else if (_time.GetUtcNow() - lastRenew >= _settings.RenewDeadline || _current?.Holder is { Length: > 0 } holder && holder != _election.Identity)
            {
                return;
            }
        }
    }

    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_settings.RetryPeriod * 2);
            var lease = await _api.GetAsync(Path, timeout.Token);
            _resourceVersion = lease?["metadata"]?["resourceVersion"]?.GetValue<string>();
            _current = lease is null ? null : LeaseRecord.FromSpec(lease["spec"] as JsonObject);
            var step = _election.Decide(_current, _time.GetUtcNow());
            switch (step.Action)
            {
                case ElectionAction.Wait:
                    return false;
                case ElectionAction.Create:
                    await _api.CreateAsync(ApiPaths.For(ApiPaths.Leases, "kube-system"), Lease(step.Record!, null), timeout.Token);
                    break;
                default:
                    await _api.PutAsync(Path, Lease(step.Record!, _resourceVersion), timeout.Token);
                    break;
            }

            _election.Wrote(step.Record!, _time.GetUtcNow());
            _current = step.Record;
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or IOException or OperationCanceledException or System.Text.Json.JsonException)
        {
            if (e is not ApiException { Status: HttpStatusCode.Conflict })
            {
                Log.AttemptFailed(_logger, _name, e.Message);
            }

            return false;
        }
    }

    private async Task ReleaseAsync()
    {
        if (_current is not { } current || current.Holder != _election.Identity)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _api.PutAsync(Path, Lease(LeaderElection.Released(current, _time.GetUtcNow()), _resourceVersion), timeout.Token);
            Log.Released(_logger, _name);
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or IOException or OperationCanceledException or System.Text.Json.JsonException)
        {
            Log.AttemptFailed(_logger, _name, e.Message);
        }
    }

    private JsonObject Lease(LeaseRecord record, string? resourceVersion) => new()
    {
        ["apiVersion"] = "coordination.k8s.io/v1",
        ["kind"] = "Lease",
        ["metadata"] = new JsonObject { ["name"] = _name, ["namespace"] = "kube-system", ["resourceVersion"] = resourceVersion },
        ["spec"] = record.ToSpec(),
    };

    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
