using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers;

/// <summary>
/// Writes core/v1 Events as a component (<c>default-scheduler</c>, <c>deployment-controller</c>, <c>kubelet</c>...) so
/// <c>kubectl describe</c> and <c>kubectl get events</c> show why something happened. Recording never blocks a
/// reconcile: events go through a bounded queue (dropped when 1,000 are waiting) to one writer. A repeat of the same
/// reason and message about the same object raises the first event's <c>count</c> and <c>lastTimestamp</c>, as
/// client-go's correlator does, so a pod that cannot be scheduled does not flood the namespace.
/// </summary>
internal sealed partial class EventRecorder : IAsyncDisposable
{
    private const int MaxRemembered = 4096;
    private readonly ApiClient _api;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _host;
    private readonly Channel<(JsonObject Involved, string Component, string Type, string Reason, string Message)> _queue =
        Channel.CreateBounded<(JsonObject, string, string, string, string)>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly Dictionary<string, (string Namespace, string Name, int Count)> _seen = new(StringComparer.Ordinal);
    private readonly Task _writer;

    public EventRecorder(ApiClient api, string host, TimeProvider time, ILogger logger)
    {
        (_api, _host, _time, _logger) = (api, host, time, logger);
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>
    /// Records an event about <paramref name="obj"/>, of <paramref name="kind"/> in <paramref name="apiVersion"/>;
    /// <paramref name="type"/> is <c>Normal</c> or <c>Warning</c>. <paramref name="fieldPath"/> names a part of the
    /// object, as the kubelet names a container (<c>spec.containers{app}</c>).
    /// </summary>
    public void Record(JsonObject obj, string apiVersion, string kind, string component, string type, string reason, string message, string? fieldPath = null)
    {
        var involved = new JsonObject
        {
            ["kind"] = kind,
            ["namespace"] = ObjectKeys.Namespace(obj) is { Length: > 0 } ns ? ns : null,
            ["name"] = ObjectKeys.Name(obj),
            ["uid"] = ObjectKeys.Uid(obj),
            ["apiVersion"] = apiVersion,
            ["resourceVersion"] = obj["metadata"]?["resourceVersion"]?.DeepClone(),
            ["fieldPath"] = fieldPath,
        };
        _queue.Writer.TryWrite((involved, component, type, reason, message));
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _writer.WaitAsync(timeout.Token).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task WriteAsync()
    {
        await foreach (var (involved, component, type, reason, message) in _queue.Reader.ReadAllAsync())
        {
            try
            {
                await WriteOneAsync(involved, component, type, reason, message);
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException or OperationCanceledException or System.Text.Json.JsonException)
            {
                Log.WriteFailed(_logger, reason, involved["name"]?.GetValue<string>() ?? string.Empty, e.Message);
            }
        }
    }

    private async Task WriteOneAsync(JsonObject involved, string component, string type, string reason, string message)
    {
        var now = _time.GetUtcNow();
        var stamp = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var ns = involved["namespace"]?.GetValue<string>() ?? "default";
        var correlation = $"{involved["uid"]}|{involved["fieldPath"]}|{component}|{type}|{reason}|{message}";
        if (_seen.TryGetValue(correlation, out var seen))
        {
            try
            {
                var patch = new JsonObject { ["count"] = seen.Count + 1, ["lastTimestamp"] = stamp };
                await _api.MergePatchAsync($"/api/v1/namespaces/{seen.Namespace}/events/{seen.Name}", patch, CancellationToken.None);
                _seen[correlation] = seen with { Count = seen.Count + 1 };
                return;
            }
            catch (ApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
            {
                _seen.Remove(correlation);
            }
        }

        var name = $"{involved["name"]}.{(now.ToUnixTimeMilliseconds() * 1_000_000L) + Random.Shared.Next(1_000_000):x}";
        var body = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["involvedObject"] = involved,
            ["reason"] = reason,
            ["message"] = message,
            ["type"] = type,
            ["source"] = new JsonObject { ["component"] = component, ["host"] = _host },
            ["reportingComponent"] = component,
            ["reportingInstance"] = _host,
            ["firstTimestamp"] = stamp,
            ["lastTimestamp"] = stamp,
            ["count"] = 1,
        };
        await _api.CreateAsync($"/api/v1/namespaces/{ns}/events", body, CancellationToken.None);
        if (_seen.Count >= MaxRemembered)
        {
            _seen.Clear();
        }

        _seen[correlation] = (ns, name, 1);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4010, Level = LogLevel.Debug, Message = "Writing the {Reason} event about {Name} failed: {Error}")]
        public static partial void WriteFailed(ILogger logger, string reason, string name, string error);
    }
}
