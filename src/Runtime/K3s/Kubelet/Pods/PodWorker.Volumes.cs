using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Kubelet.Pods;

// Setting up the pod's volumes before its containers start.
internal sealed partial class PodWorker
{
    /// <summary>
    /// Writes the pod's volumes, retrying every 5 s while one cannot be set up (a configMap or secret not there
    /// yet): meanwhile the containers wait as <c>ContainerCreating</c> with the reason in their message.
    /// </summary>
    private async Task PrepareVolumesAsync()
    {
        while (true)
        {
            string message;
            try
            {
                _volumeDirectories = await _volumes.PrepareAsync(_pod, _settings.NodeIp.ToString(), _terminate.Token);
                if (PodVolumes.Refresh(_pod, _settings.SyncFrequency) is { } renewal)
                {
                    _volumeRenewal = Task.Run(() => RenewVolumesAsync(renewal));
                }

                return;
            }
            catch (VolumeException e)
            {
                message = e.Message;
            }
            catch (Exception e) when (e is HttpRequestException or ApiException or IOException or UnauthorizedAccessException)
            {
                message = $"MountVolume.SetUp failed: {e.Message}";
            }

            Log.VolumeFailed(_logger, Namespace, Name, message);
            PodEvent(Warning, "FailedMount", message);
            lock (_gate)
            {
                foreach (var record in _init.Concat(_main))
                {
                    record.WaitingReason = "ContainerCreating";
                    record.WaitingMessage = message;
                }
            }

            MarkDirty();
            await Task.Delay(TimeSpan.FromSeconds(5), _time, _terminate.Token);
        }
    }

    /// <summary>
    /// Writes the volumes again every <paramref name="every"/> (the sync frequency, or sooner when a projected token is
    /// due) until the pod ends, so an edited config map or secret reaches the pod and a token is replaced before it
    /// expires.
    /// </summary>
    private async Task RenewVolumesAsync(TimeSpan every)
    {
        while (true)
        {
            try
            {
                await Task.Delay(every, _time, _terminate.Token);
                foreach (var failure in await _volumes.RefreshAsync(_pod, _settings.NodeIp.ToString(), _terminate.Token))
                {
                    Log.RenewFailed(_logger, Namespace, Name, failure);
                    PodEvent(Warning, "FailedMount", failure);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
