namespace K3sLab.K3s.Kubelet.Node;

/// <summary>
/// What the kubelet measured about its machine at one moment: capacity (the smaller of the machine's and the
/// cgroup's limits), what is free, and the identity fields of <c>nodeInfo</c>. Produced by <see cref="NodeProbe"/>;
/// plain data, so status decisions can be tested without a machine.
/// </summary>
internal sealed record NodeFacts(
    int Cpus,
    long MemoryBytes,
    long MemoryAvailableBytes,
    long DiskBytes,
    long DiskAvailableBytes,
    int Processes,
    int ProcessLimit,
    string OsImage,
    string KernelVersion,
    string Architecture,
    string MachineId,
    string SystemUuid,
    string BootId);
