using System.Security.Cryptography;
using System.Text;

namespace K3sLab.Lab.Images;

/// <summary>
/// What goes into a debootstrapped image: a minimal Debian root file system plus packages from the mirror. The node
/// base image carries the tools nodes need (iptables for fault injection and the service proxy, conntrack for the
/// service proxy's UDP flows, iproute2, CA certificates, procps, etcdctl for operators); the datastore image adds real etcd and PostgreSQL to the same list. An image is tagged by a hash
/// of its recipe, so changing the recipe yields a new image and an unchanged recipe reuses the cached one.
/// </summary>
public sealed record BaseImageRecipe(string Suite, string Variant, IReadOnlyList<string> Packages, int Revision)
{
    /// <summary>The repository of the node base image.</summary>
    public const string BaseRepository = "k3slab/base";

    /// <summary>The repository of the datastore image.</summary>
    public const string DatastoreRepository = "k3slab/datastore";

    /// <summary>The recipe the lab builds its k3s nodes from.</summary>
    public static BaseImageRecipe Default { get; } = new(
        Suite: "bookworm",
        Variant: "minbase",
        Packages: ["iptables", "iproute2", "ca-certificates", "procps", "etcd-client", "conntrack"],
        Revision: 1);

    /// <summary>
    /// The recipe of the external datastore nodes: the node base packages plus Debian's etcd 3.4 (<c>etcd-server</c>)
    /// and PostgreSQL 15 (<c>postgresql</c>). A separate image, so the k3s node image does not change.
    /// </summary>
    public static BaseImageRecipe Datastore { get; } = new BaseImageRecipe(
        Default.Suite,
        Default.Variant,
        [.. Default.Packages, "etcd-server", "postgresql"],
        Revision: 1)
    {
        Repository = DatastoreRepository,
        Check = $"iptables --version && conntrack --version && etcd --version && etcdctl version && {PostgresBin}/postgres --version && cat /etc/k3slab-base",
    };

    /// <summary>Where Debian bookworm installs PostgreSQL 15's server programs.</summary>
    public const string PostgresBin = "/usr/lib/postgresql/15/bin";

    /// <summary>The image repository; the tag is <see cref="Hash"/>.</summary>
    public string Repository { get; init; } = BaseRepository;

    /// <summary>The shell command run in a fresh image before it is tagged; it must exit 0.</summary>
    public string Check { get; init; } = "iptables --version && ip -V && conntrack --version && etcdctl version && cat /etc/k3slab-base";

    /// <summary>The recipe in one canonical line, stored as an image label.</summary>
    public string Canonical => $"debootstrap --variant={Variant} {Suite} +{string.Join(',', Packages)} r{Revision}";

    /// <summary>The first 12 hex digits of SHA-256 of <see cref="Canonical"/>.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical)))[..12];

    /// <summary>The full image reference, <c>&lt;repository&gt;:&lt;hash&gt;</c>.</summary>
    public string Image => $"{Repository}:{Hash}";
}
