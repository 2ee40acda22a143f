using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Kubelet.Pods;

// Writing the pod's status, and deleting the pod once stopped.
internal sealed partial class PodWorker
{
    private void MarkDirty() => _dirty.Writer.TryWrite(true);

    /// <summary>Writes the status each time it is marked dirty, coalescing bursts; retries a failed write after 1 s.</summary>
    private async Task WriteStatusLoopAsync()
    {
        await foreach (var _ in _dirty.Reader.ReadAllAsync())
        {
            while (!_forget.IsCancellationRequested)
            {
                JsonObject status;
                lock (_gate)
                {
                    status = PodStatusDocument.Build(_init, _main, _settings.NodeIp.ToString(), _startTime, _conditions, _time.GetUtcNow());
                    _conditions = (JsonArray)status["conditions"]!.DeepClone();
                }

                try
                {
                    await _api.MergePatchAsync(PodPath + "/status", new JsonObject { ["status"] = status }, _forget.Token);
                    break;
                }
                catch (ApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or ApiException or TaskCanceledException && !_forget.IsCancellationRequested)
                {
                    Log.StatusFailed(_logger, Namespace, Name, e.Message);
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, CancellationToken.None);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task DeletePodAsync()
    {
        var options = new JsonObject
        {
            ["kind"] = "DeleteOptions",
            ["apiVersion"] = "v1",
            ["gracePeriodSeconds"] = 0,
            ["preconditions"] = new JsonObject { ["uid"] = Uid },
        };
        for (var attempt = 0; attempt < 30 && !_forget.IsCancellationRequested; attempt++)
        {
            try
            {
                await _api.DeleteAsync(PodPath, options, _forget.Token);
                Log.Deleted(_logger, Namespace, Name);
                return;
            }
            catch (ApiException e) when (e.Status == System.Net.HttpStatusCode.Conflict)
            {
                // The uid no longer matches: the pod was deleted and recreated; the new one is another worker's.
                return;
            }
            catch (Exception e) when (e is HttpRequestException or ApiException or TaskCanceledException && !_forget.IsCancellationRequested)
            {
                Log.StatusFailed(_logger, Namespace, Name, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), _time, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
