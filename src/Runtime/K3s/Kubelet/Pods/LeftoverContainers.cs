using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Containers a previous kubelet of this node started and that still run: the pod's status names them
/// (<c>containerID: process://&lt;pid&gt;</c> in a running state). A new kubelet cannot adopt them (their output pipes
/// and exit status belonged to the old process), so it stops them before starting the pod again: a pod's
/// containers are restarted cleanly, never duplicated. A pid counts only while it still leads its own session, as
/// every container process does, so a reused pid of an unrelated process is left alone.
/// </summary>
internal static class LeftoverContainers
{
    /// <summary>Kills the process group of every container the status says is running; returns how many were found.</summary>
    public static int Stop(JsonObject pod)
    {
        var stopped = 0;
        foreach (var field in new[] { "initContainerStatuses", "containerStatuses" })
        {
            foreach (var status in (pod["status"]?[field] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (status["state"]?["running"] is not null && Pid(status["containerID"]?.GetValue<string>()) is { } pid && LeadsItsSession(pid))
                {
                    ProcessGroups.Signal(pid, ProcessGroups.SigKill);
                    stopped++;
                }
            }
        }

        return stopped;
    }

    /// <summary>
    /// The restart count to carry on from: what the pod's status reported for the container, plus one when it
    /// was running then, since it is started again.
    /// </summary>
    public static int RestartCount(JsonObject pod, string field, string container)
    {
        var status = (pod["status"]?[field] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(s => s["name"]?.GetValue<string>() == container);
        var count = status?["restartCount"] is JsonValue v && int.TryParse(v.ToJsonString(), CultureInfo.InvariantCulture, out var c) ? c : 0;
        return status?["state"]?["running"] is not null ? count + 1 : count;
    }

    private static int? Pid(string? containerId) =>
        containerId is not null && containerId.StartsWith("process://", StringComparison.Ordinal)
            && int.TryParse(containerId["process://".Length..], CultureInfo.InvariantCulture, out var pid) ? pid : null;

    /// <summary>Whether /proc says the process's session id is its own pid.</summary>
    private static bool LeadsItsSession(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 3 && fields[3] == pid.ToString(CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
