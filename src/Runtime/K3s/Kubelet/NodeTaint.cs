namespace K3sLab.K3s.Kubelet;

/// <summary>A taint in <c>--node-taint</c>'s syntax, <c>key=value:Effect</c> or <c>key:Effect</c>.</summary>
internal sealed record NodeTaint(string Key, string Value, string Effect)
{
    private static readonly string[] Effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

    /// <summary>Parses one flag value; the error names the flag's syntax.</summary>
    /// <exception cref="FormatException">Not <c>key[=value]:Effect</c> with a known effect.</exception>
    public static NodeTaint Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !Effects.Contains(text[(colon + 1)..]))
        {
            throw new FormatException($"--node-taint {text}: expected key=value:Effect or key:Effect, with Effect one of NoSchedule, PreferNoSchedule, NoExecute");
        }

        var keyValue = text[..colon].Split('=', 2);
        return new NodeTaint(keyValue[0], keyValue.Length > 1 ? keyValue[1] : string.Empty, text[(colon + 1)..]);
    }
}
