using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

// Readiness and liveness probes while a container runs.
internal sealed partial class PodWorker
{
    /// <summary>
    /// Runs the container's readiness and liveness probes while it runs: readiness sets <see cref="ContainerRecord.Ready"/>
    /// (and the status) as its threshold logic decides; the task completes with true when the liveness probe fails,
    /// and with false when <paramref name="ct"/> ends the run first.
    /// </summary>
    private async Task<bool> ProbeAsync(ContainerRecord record, JsonObject spec, Dictionary<string, string> env, CancellationToken ct)
    {
        var readiness = ProbeSpec.From(spec, "readinessProbe");
        var liveness = ProbeSpec.From(spec, "livenessProbe");
        lock (_gate)
        {
            record.Ready = readiness is null;
        }

        var ip = _settings.NodeIp.ToString();
        async Task<bool> LoopAsync(ProbeSpec probe, bool isLiveness)
        {
            var state = new ProbeState(probe, initiallySucceeded: isLiveness);
            await Task.Delay(probe.InitialDelay, _time, ct);
            while (true)
            {
                int? pid;
                lock (_gate)
                {
                    pid = record.Pid;
                }

                var result = await _prober.ProbeAsync(probe, spec, env, ip, pid, ct);
                if (!result.Passed)
                {
                    // Every failed attempt, as the kubelet's prober records it; the recorder counts the repeats.
                    ContainerEvent(record, Warning, "Unhealthy", $"{(isLiveness ? "Liveness" : "Readiness")} probe failed: {result.Output}");
                }

                if (state.Record(result.Passed))
                {
                    if (isLiveness)
                    {
                        return true;
                    }

                    lock (_gate)
                    {
                        record.Ready = state.Succeeded;
                    }

                    MarkDirty();
                }

                await Task.Delay(probe.Period, _time, ct);
            }
        }

        try
        {
            if (readiness is not null)
            {
                // Ends with the run (cancellation); its outcome is only ever the record's Ready flag.
                _ = LoopAsync(readiness, isLiveness: false);
            }

            if (liveness is null)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, _time, ct);
                return false;
            }

            return await LoopAsync(liveness, isLiveness: true);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
