using System.Globalization;
using System.Threading.Channels;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.Server;

/// <summary>
/// Frees a node's name when its Node goes, as k3s does: deleting a Node deletes its node-password secret
/// (<c>kube-system/&lt;node&gt;.node-password.k3s</c>), so a re-imaged machine with a new password can join under the
/// same name after <c>kubectl delete node</c>. A sweep every minute also deletes secrets older than 10 minutes whose
/// Node does not exist (k3s's orphan rule), which covers Nodes deleted while no server was running this loop and
/// nodes that never finished registering. Every server runs it; deletes are idempotent.
/// </summary>
internal sealed partial class NodePasswordSecrets : IAsyncDisposable
{
    private const string Suffix = ".node-password.k3s";
    private static readonly ResourceKind Secrets = new(string.Empty, "secrets", true);
    private static readonly ResourceKind Nodes = new(string.Empty, "nodes", false);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MinOrphanAge = TimeSpan.FromMinutes(10);

    private readonly ObjectStorage _storage;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<string> _deleted = Channel.CreateUnbounded<string>();
    private readonly CancellationTokenSource _stop = new();
    private ObjectCache? _nodes;
    private Task _loop = Task.CompletedTask;

    private NodePasswordSecrets(ObjectStorage storage, TimeProvider time, ILogger logger) => (_storage, _time, _logger) = (storage, time, logger);

    public static async Task<NodePasswordSecrets> StartAsync(ObjectStorage storage, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var secrets = new NodePasswordSecrets(storage, time, logger);
        secrets._nodes = await ObjectCache.StartAsync(storage, Nodes, logger, secrets.OnNodeChanged, cancellationToken);
        secrets._loop = Task.Run(() => secrets.RunAsync(secrets._stop.Token), CancellationToken.None);
        return secrets;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _deleted.Writer.TryComplete();
        await _loop;
        if (_nodes is not null)
        {
            await _nodes.DisposeAsync();
        }

        _stop.Dispose();
    }

    private void OnNodeChanged(string key, System.Text.Json.Nodes.JsonObject? before, System.Text.Json.Nodes.JsonObject? after)
    {
        if (before is not null && after is null)
        {
            _deleted.Writer.TryWrite(key.TrimStart('/'));
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var nextSweep = _time.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (_time.GetUtcNow() >= nextSweep)
                {
                    await SweepAsync(ct);
                    nextSweep = _time.GetUtcNow() + SweepInterval;
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(nextSweep - _time.GetUtcNow() is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero);
                try
                {
                    if (await _deleted.Reader.WaitToReadAsync(wait.Token))
                    {
                        while (_deleted.Reader.TryRead(out var node))
                        {
                            await DeleteAsync(node, "its Node was deleted", ct);
                        }
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // Time for the sweep.
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ApiStatusException or Store.StoreException or IOException)
            {
                Log.Failed(_logger, e.Message);
                nextSweep = _time.GetUtcNow() + SweepInterval;
            }
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        var list = await _storage.ListAsync(Secrets, "kube-system", 0, null, 0, ct);
        var nodes = _nodes!.Items;
        foreach (var secret in list.Items)
        {
            var name = secret["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
            if (!name.EndsWith(Suffix, StringComparison.Ordinal) || nodes.ContainsKey("/" + name[..^Suffix.Length]))
            {
                continue;
            }

            var created = DateTimeOffset.TryParse(secret["metadata"]?["creationTimestamp"]?.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : _time.GetUtcNow();
            if (_time.GetUtcNow() - created > MinOrphanAge)
            {
                await DeleteAsync(name[..^Suffix.Length], "no Node of that name exists", ct);
            }
        }
    }

    private async Task DeleteAsync(string node, string reason, CancellationToken ct)
    {
        try
        {
            await _storage.DeleteAsync(Secrets, "kube-system", node + Suffix, null, ct);
            Log.Deleted(_logger, node, reason);
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Deleted the node password of {Node}: {Reason}; the name may join again with a new password")]
        public static partial void Deleted(ILogger logger, string node, string reason);

        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Cleaning up node passwords failed, retrying in a minute: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);
    }
}
