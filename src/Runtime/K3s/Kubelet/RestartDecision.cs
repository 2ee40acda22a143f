namespace K3sLab.K3s.Kubelet;

/// <summary>
/// Whether an exited container is started again, by the pod's <c>restartPolicy</c>: <c>Always</c> restarts every
/// exit, <c>OnFailure</c> restarts only non-zero exits, <c>Never</c> restarts nothing. And the pod phase once no
/// container will run again: <c>Succeeded</c> when every container exited 0, else <c>Failed</c>.
/// </summary>
internal static class RestartDecision
{
    public static bool ShouldRestart(string restartPolicy, int exitCode) => restartPolicy switch
    {
        "Never" => false,
        "OnFailure" => exitCode != 0,
        _ => true,
    };

    /// <summary>The phase of a pod whose containers all exited with <paramref name="exitCodes"/> and will not restart.</summary>
    public static string FinalPhase(IEnumerable<int> exitCodes) => exitCodes.All(c => c == 0) ? "Succeeded" : "Failed";
}
