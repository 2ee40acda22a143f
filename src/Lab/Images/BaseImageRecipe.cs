using System.Security.Cryptography;
using System.Text;

namespace K3sLab.Lab.Images;

/// <summary>
/// What goes into the node base image: a minimal Debian root file system made by debootstrap, plus the tools nodes
/// need (iptables for fault injection, iproute2, CA certificates, procps, etcdctl for operators). The image is tagged
/// by a hash of this recipe, so changing it yields a new image and an unchanged recipe reuses the cached one.
/// </summary>
public sealed record BaseImageRecipe(string Suite, string Variant, IReadOnlyList<string> Packages, int Revision)
{
    /// <summary>The recipe the lab builds its nodes from.</summary>
    public static BaseImageRecipe Default { get; } = new(
        Suite: "bookworm",
        Variant: "minbase",
        Packages: ["iptables", "iproute2", "ca-certificates", "procps", "etcd-client"],
        Revision: 1);

    /// <summary>The image repository; the tag is <see cref="Hash"/>.</summary>
    public const string Repository = "k3slab/base";

    /// <summary>The recipe in one canonical line, stored as an image label.</summary>
    public string Canonical => $"debootstrap --variant={Variant} {Suite} +{string.Join(',', Packages)} r{Revision}";

    /// <summary>The first 12 hex digits of SHA-256 of <see cref="Canonical"/>.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical)))[..12];

    /// <summary>The full image reference, <c>k3slab/base:&lt;hash&gt;</c>.</summary>
    public string Image => $"{Repository}:{Hash}";
}
