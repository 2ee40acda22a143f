using System.Net;
using K3sLab.K3s.Kubelet.Node;

namespace K3sLab.K3s.Hollow;

/// <summary>
/// The fixed machine every hollow node reports, as kubemark's hollow nodes do: 4 CPUs, 16 GiB of memory (all of it
/// free), a 100 GiB disk, and the kubelet's usual 110 pods, so the scheduler places pods on them as on real
/// nodes of that size and none ever shows pressure. Identity fields say what they are.
/// </summary>
internal static class HollowNodeFacts
{
    public const long GiB = 1L << 30;

    /// <summary>The label every hollow node carries, so workloads and measurements can select or avoid them.</summary>
    public const string Label = "k3slab.io/hollow";

    public static NodeFacts For(string nodeName) => new(
        Cpus: 4,
        MemoryBytes: 16 * GiB,
        MemoryAvailableBytes: 16 * GiB,
        DiskBytes: 100 * GiB,
        DiskAvailableBytes: 100 * GiB,
        Processes: 0,
        ProcessLimit: 32768,
        OsImage: "K3sLab hollow node",
        KernelVersion: Environment.OSVersion.Version.ToString(),
        Architecture: NodeProbe.Architecture(),
        MachineId: nodeName,
        SystemUuid: nodeName,
        BootId: nodeName);

    /// <summary>
    /// The InternalIP of hollow node <paramref name="index"/>: a distinct loopback address (127.1.0.1, 127.1.0.2, …),
    /// nothing listens there; its pods get it as their IP, as pods on this runtime share their node's address.
    /// </summary>
    public static IPAddress Address(int index) => new([127, (byte)(1 + (index / 250 / 256)), (byte)(index / 250 % 256), (byte)((index % 250) + 1)]);
}
