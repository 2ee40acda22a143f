namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>An image's <c>ENTRYPOINT</c> and <c>CMD</c>, as its image config would give them.</summary>
internal sealed record ImageEntrypoint(IReadOnlyList<string> Entrypoint, IReadOnlyList<string> Cmd);

/// <summary>
/// The process runtime pulls no images: a container runs a program of the node's own filesystem. A container
/// without a <c>command</c> gets its program from this table of well-known images, keyed by the repository's last
/// path segment (so <c>busybox</c>, <c>docker.io/library/busybox:1.36</c> and <c>rancher/mirrored-library-busybox</c>
/// are one entry):
/// <list type="table">
/// <item><term>busybox, alpine</term><description>CMD <c>sh</c> (with stdin closed, as a container without
/// <c>stdin: true</c> has it, a bare shell exits at once, as in a container runtime)</description></item>
/// <item><term>debian, ubuntu</term><description>CMD <c>bash</c></description></item>
/// <item><term>pause</term><description>sleeps forever (<c>sleep infinity</c>)</description></item>
/// </list>
/// Any other image with no <c>command</c> cannot be run: the container waits with reason <c>CreateContainerError</c>.
/// </summary>
internal static class ImageEntrypoints
{
    private static readonly Dictionary<string, ImageEntrypoint> Known = new(StringComparer.Ordinal)
    {
        ["busybox"] = new([], ["sh"]),
        ["alpine"] = new([], ["/bin/sh"]),
        ["debian"] = new([], ["bash"]),
        ["ubuntu"] = new([], ["/bin/bash"]),
        ["pause"] = new(["sleep", "infinity"], []),
    };

    /// <summary>The names in the table, for error messages.</summary>
    public static IEnumerable<string> Names => Known.Keys;

    public static ImageEntrypoint? Find(string image)
    {
        var name = Repository(image);
        return Known.GetValueOrDefault(name)
            ?? (name.StartsWith("mirrored-", StringComparison.Ordinal) ? Known.GetValueOrDefault(name["mirrored-".Length..].Replace("library-", string.Empty, StringComparison.Ordinal)) : null);
    }

    /// <summary>The last path segment of an image reference without tag or digest: <c>registry:5000/a/b:1@sha256:..</c> → <c>b</c>.</summary>
    public static string Repository(string image)
    {
        var name = image.Split('@')[0];
        var slash = name.LastIndexOf('/');
        var last = slash >= 0 ? name[(slash + 1)..] : name;
        var colon = last.IndexOf(':');
        return (colon >= 0 ? last[..colon] : last).ToLowerInvariant();
    }
}
