namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A resolver configuration: nameservers, search paths and options, in order, as the CRI's <c>DNSConfig</c> carries
/// them; for a pod also what the kubelet warns about it (<see cref="PodDns.Form"/>), and for a node's file none.
/// </summary>
internal sealed record PodDnsConfig(
    IReadOnlyList<string> Nameservers,
    IReadOnlyList<string> Searches,
    IReadOnlyList<string> Options,
    IReadOnlyList<PodDnsWarning> Warnings)
{
    /// <summary>The configuration with nothing in it (the <c>None</c> policy's start).</summary>
    public static readonly PodDnsConfig Empty = new([], [], [], []);

    /// <summary>
    /// The resolv.conf a container sees, as containerd writes it: a <c>search</c> line, one <c>nameserver</c> line
    /// each, an <c>options</c> line, each left out when empty.
    /// </summary>
    public string Text
    {
        get
        {
            var text = new System.Text.StringBuilder();
            if (Searches.Count > 0)
            {
                text.Append("search ").AppendJoin(' ', Searches).Append('\n');
            }

            foreach (var nameserver in Nameservers)
            {
                text.Append("nameserver ").Append(nameserver).Append('\n');
            }

            if (Options.Count > 0)
            {
                text.Append("options ").AppendJoin(' ', Options).Append('\n');
            }

            return text.ToString();
        }
    }
}
