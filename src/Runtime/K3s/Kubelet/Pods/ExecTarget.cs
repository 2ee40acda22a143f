namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A running container as <c>exec</c> and <c>attach</c> see it: its environment and working directory (what an
/// exec'd command runs with), its pid (whose mount namespace an exec'd command joins), its spec's <c>stdin</c> and
/// <c>tty</c>, and the CRI log file of the current run with whether that run still runs (attach follows it).
/// </summary>
internal sealed record ExecTarget(
    IReadOnlyDictionary<string, string> Environment,
    string? WorkingDir,
    int Pid,
    bool Stdin,
    bool Tty,
    string LogFile,
    Func<bool> Live);
