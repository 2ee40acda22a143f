using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace K3sLab.Lab.Providers;

/// <summary>
/// Lab nodes as Docker containers on one bridge network per cluster, with static addresses from the
/// <see cref="NetworkPlan"/>. Containers carry the cluster, role, index and address as labels, which are the
/// only record of a cluster. Nodes get NET_ADMIN (for fault injection with iptables), k3s servers and agents also
/// SYS_ADMIN and no AppArmor confinement (for their pods' mount namespaces), an init process that reaps
/// orphans, and the <c>unless-stopped</c> restart policy so they come back after a daemon restart. A node's provisioned
/// files are copied in between creating and starting it, and their paths kept in a label so a re-image restores them.
/// A node asked for with <see cref="NodeSpec.LossyDisk"/> gets its data dir on a <see cref="Host.LossyDisk"/> of the
/// host, bound in, and marked with a label; the disk goes when the node is removed.
/// </summary>
public sealed class DockerProvider(IDockerClient docker) : INodeProvider
{
    /// <summary>
    /// Whether a node of this role runs a kubelet, whose containers with volumes (every pod, since each gets its
    /// service account's API access volume) run in mount namespaces of their own: that needs CAP_SYS_ADMIN, and on
    /// hosts with AppArmor an unconfined profile, as Docker's default profile refuses <c>mount</c>. kind and k3d run
    /// their nodes fully privileged; this is the narrower grant.
    /// </summary>
    private static bool RunsPods(NodeRole role) => role is NodeRole.Server or NodeRole.Agent;

    public async Task<NetworkPlan> EnsureNetworkAsync(string cluster, CancellationToken cancellationToken)
    {
        LabNaming.ValidateClusterName(cluster);
        var name = LabNaming.NetworkName(cluster);
        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters(), cancellationToken);
        if (networks.FirstOrDefault(n => n.Name == name) is { } existing)
        {
            var subnet = existing.IPAM?.Config?.Select(c => c.Subnet).FirstOrDefault(s => !string.IsNullOrEmpty(s));
            if (subnet is null || !existing.Labels.TryGetValue(LabNaming.ClusterLabel, out var owner) || owner != cluster)
            {
                throw new LabSetupException($"Docker network {name} exists but was not made by k3slab for cluster '{cluster}': remove it (docker network rm {name}) or choose another cluster name.");
            }

            return new NetworkPlan(IPNetwork.Parse(subnet));
        }

        // Another process may take the chosen subnet between the listing and the create (two clusters created at
        // once): Docker refuses with "Pool overlaps", and the next free subnet is tried, with that one counted as taken.
        var inUse = networks
            .SelectMany(n => n.IPAM?.Config ?? [])
            .Select(c => IPNetwork.TryParse(c.Subnet, out var s) ? s : (IPNetwork?)null)
            .OfType<IPNetwork>()
            .ToList();
        for (var attempt = 0; ; attempt++)
        {
            var plan = NetworkPlan.Choose(inUse);
            try
            {
                await docker.Networks.CreateNetworkAsync(
                    new NetworksCreateParameters
                    {
                        Name = name,
                        Driver = "bridge",
                        IPAM = new IPAM { Config = [new IPAMConfig { Subnet = plan.Subnet.ToString(), Gateway = plan.Gateway.ToString() }] },
                        Labels = new Dictionary<string, string> { [LabNaming.ClusterLabel] = cluster },
                    },
                    cancellationToken);
                return plan;
            }
            catch (DockerApiException e) when (attempt < 16 && e.ResponseBody?.Contains("overlaps", StringComparison.OrdinalIgnoreCase) == true)
            {
                inUse.Add(plan.Subnet);
            }
        }
    }

    public Task<LabNode> CreateNodeAsync(NodeSpec spec, CancellationToken cancellationToken) => CreateAsync(spec, [], cancellationToken);

    public async Task<LabNode> RecreateAsync(LabNode node, NodeSpec spec, IReadOnlyList<string> keep, CancellationToken cancellationToken)
    {
        if (spec.Cluster != node.Cluster || LabNaming.NodeName(spec.Cluster, spec.Role, spec.Index) != node.Name)
        {
            throw new LabSetupException($"{node.Name} can only be made again under its own name, not as {LabNaming.NodeName(spec.Cluster, spec.Role, spec.Index)}");
        }

        var disk = new List<(string Parent, MemoryStream Tar)>();
        try
        {
            foreach (var path in keep)
            {
                var tar = new MemoryStream();
                disk.Add((Path.GetDirectoryName(path) ?? "/", tar));
                if (!await CopyOutAsync(node, path, tar, cancellationToken))
                {
                    disk.RemoveAt(disk.Count - 1);
                }

                tar.Position = 0;
            }

            await RemoveAsync(node, cancellationToken);
            try
            {
                return await CreateAsync(spec, disk, cancellationToken);
            }
            catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
            {
                throw new LabSetupException($"{node.Name} was removed to be made again at {spec.Address}, and creating it failed: {e.Message}; its disk is lost");
            }
        }
        finally
        {
            foreach (var (_, tar) in disk)
            {
                await tar.DisposeAsync();
            }
        }
    }

    private async Task<LabNode> CreateAsync(NodeSpec spec, IReadOnlyList<(string Parent, MemoryStream Tar)> keep, CancellationToken cancellationToken)
    {
        var name = LabNaming.NodeName(spec.Cluster, spec.Role, spec.Index);
        var network = LabNaming.NetworkName(spec.Cluster);
        var disk = spec.LossyDisk ? await Host.LossyDisk.CreateAsync(name, cancellationToken) : null;
        CreateContainerResponse created;
        try
        {
            created = await CreateContainerAsync(spec, name, network, disk, cancellationToken);
        }
        catch
        {
            if (disk is not null)
            {
                await Host.LossyDisk.RemoveAsync(name, CancellationToken.None);
            }

            throw;
        }

        try
        {
            if (spec.Files.Count > 0)
            {
                using var archive = NodeFiles.Archive(spec.Files);
                await docker.Containers.ExtractArchiveToContainerAsync(created.ID, new CopyToContainerParameters { Path = "/" }, archive, cancellationToken);
            }

            foreach (var (parent, tar) in keep)
            {
                await docker.Containers.ExtractArchiveToContainerAsync(created.ID, new CopyToContainerParameters { Path = parent }, tar, cancellationToken);
            }

            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        }
        catch
        {
            // Never leave a half-made node behind.
            await docker.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
            if (disk is not null)
            {
                await Host.LossyDisk.RemoveAsync(name, CancellationToken.None);
            }

            throw;
        }

        return new LabNode(name, spec.Cluster, spec.Role, spec.Index, spec.Address, "running");
    }

    private Task<CreateContainerResponse> CreateContainerAsync(NodeSpec spec, string name, string network, string? disk, CancellationToken cancellationToken)
    {
        var labels = new Dictionary<string, string>
        {
            [LabNaming.ClusterLabel] = spec.Cluster,
            [LabNaming.RoleLabel] = LabNaming.RoleWord(spec.Role),
            [LabNaming.IndexLabel] = spec.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [LabNaming.AddressLabel] = spec.Address.ToString(),
            [LabNaming.FilesLabel] = string.Join(',', spec.Files.Select(f => f.Path)),
        };
        if (disk is not null)
        {
            labels[LabNaming.DiskLabel] = "lossy";
        }

        return docker.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Name = name,
                Hostname = name,
                Image = spec.Image,
                Cmd = [.. spec.Command],
                Env = [.. (spec.Environment ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}")],
                Labels = labels,
                StopSignal = spec.StopSignal,
                HostConfig = new HostConfig
                {
                    NetworkMode = network,
                    CapAdd = [.. spec.NetworkAdmin ? ["NET_ADMIN"] : Array.Empty<string>(), .. RunsPods(spec.Role) ? ["SYS_ADMIN"] : Array.Empty<string>()],
                    SecurityOpt = RunsPods(spec.Role) ? ["apparmor=unconfined"] : [],
                    Init = true,
                    RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.UnlessStopped },
                    Memory = spec.MemoryBytes ?? 0,
                    Tmpfs = new Dictionary<string, string> { ["/run"] = "rw" },
                    Binds = disk is null ? [] : [$"{disk}:{LabNaming.DataDir}"],
                    PortBindings = (spec.PublishedTcpPorts ?? new Dictionary<int, int>()).ToDictionary(
                        p => $"{p.Key}/tcp",
                        p => (IList<PortBinding>)[new PortBinding { HostIP = "127.0.0.1", HostPort = p.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) }]),
                },
                ExposedPorts = (spec.PublishedTcpPorts ?? new Dictionary<int, int>()).ToDictionary(p => $"{p.Key}/tcp", _ => new EmptyStruct()),
                NetworkingConfig = new NetworkingConfig
                {
                    EndpointsConfig = new Dictionary<string, EndpointSettings>
                    {
                        [network] = new EndpointSettings { IPAMConfig = new EndpointIPAMConfig { IPv4Address = spec.Address.ToString() }, Aliases = [name] },
                    },
                },
            },
            cancellationToken);
    }

    public async Task<IReadOnlyList<LabNode>> ListNodesAsync(string? cluster, CancellationToken cancellationToken)
    {
        var filter = cluster is null ? LabNaming.ClusterLabel : $"{LabNaming.ClusterLabel}={cluster}";
        var containers = await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [filter] = true } } },
            cancellationToken);
        return [.. containers.Select(ToNode).OfType<LabNode>().OrderBy(n => n.Cluster, StringComparer.Ordinal).ThenBy(n => n.Role).ThenBy(n => n.Index)];
    }

    public Task StartAsync(LabNode node, CancellationToken cancellationToken) =>
        docker.Containers.StartContainerAsync(node.Name, new ContainerStartParameters(), cancellationToken);

    public Task StopAsync(LabNode node, TimeSpan grace, CancellationToken cancellationToken) =>
        docker.Containers.StopContainerAsync(node.Name, new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(grace.TotalSeconds) }, cancellationToken);

    public async Task<PowerLoss> KillAsync(LabNode node, CancellationToken cancellationToken)
    {
        if (!Host.LossyDisk.Exists(node.Name))
        {
            await docker.Containers.KillContainerAsync(node.Name, new ContainerKillParameters { Signal = "KILL" }, cancellationToken);
            return PowerLoss.ProcessesKilled;
        }

        // Freeze the node, then cut its disk, then kill it. Power comes back to the disk (remounted with what was
        // durable) once the container has exited, so the node can be started as usual. The freeze comes first because
        // a process still running when the file system shuts down can be told that an fsync racing the shutdown
        // succeeded although its journal commit was dropped; it would then acknowledge a write the disk does not
        // have, which no real power cut does (LossyDisk's remarks give the measurements).
        await FreezeAsync(node, cancellationToken);
        try
        {
            Host.LossyDisk.CutPower(node.Name);
        }
        finally
        {
            // Killed even when the cut failed, so a failed cut never leaves the node frozen.
            try
            {
                await docker.Containers.KillContainerAsync(node.Name, new ContainerKillParameters { Signal = "KILL" }, cancellationToken);
            }
            finally
            {
                await WaitExitedAsync(node.Name, cancellationToken);
                await Host.LossyDisk.PowerOnAsync(node.Name, cancellationToken);
            }
        }

        return PowerLoss.UnsyncedWritesDropped;
    }

    /// <summary>
    /// Freezes every process of the container (the freezer cgroup, as <c>docker pause</c>). A process inside a system
    /// call, an fsync say, freezes when it returns, before it can act on the result. Already paused: nothing to do.
    /// </summary>
    private async Task FreezeAsync(LabNode node, CancellationToken cancellationToken)
    {
        var inspect = await docker.Containers.InspectContainerAsync(node.Name, cancellationToken);
        if (inspect.State is { Running: true, Paused: false })
        {
            await PauseAsync(node, cancellationToken);
        }
    }

    private async Task WaitExitedAsync(string name, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var inspect = await docker.Containers.InspectContainerAsync(name, cancellationToken);
            if (inspect.State is not { Running: true })
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        throw new LabSetupException($"{name} was killed but is still running after 10 s");
    }

    public Task PauseAsync(LabNode node, CancellationToken cancellationToken) => docker.Containers.PauseContainerAsync(node.Name, cancellationToken);

    public Task UnpauseAsync(LabNode node, CancellationToken cancellationToken) => docker.Containers.UnpauseContainerAsync(node.Name, cancellationToken);

    public async Task<LabNode> ReimageAsync(LabNode node, CancellationToken cancellationToken)
    {
        var spec = await SpecOfAsync(node, cancellationToken);
        await RemoveAsync(node, cancellationToken);
        return await CreateNodeAsync(spec, cancellationToken);
    }

    public async Task<NodeSpec> SpecOfAsync(LabNode node, CancellationToken cancellationToken)
    {
        var inspect = await docker.Containers.InspectContainerAsync(node.Name, cancellationToken);
        var config = inspect.Config ?? throw new InvalidOperationException($"Docker has no configuration for {node.Name}");
        var environment = (config.Env ?? []).Select(e => e.Split('=', 2)).Where(p => p.Length == 2 && !p[0].Equals("PATH", StringComparison.Ordinal))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var ports = PublishedPorts(inspect);
        var files = new List<NodeFile>();
        var provisioned = config.Labels?.TryGetValue(LabNaming.FilesLabel, out var list) == true ? list.Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
        foreach (var path in provisioned)
        {
            var archive = await docker.Containers.GetArchiveFromContainerAsync(node.Name, new ContainerPathStatParameters { Path = path }, statOnly: false, cancellationToken);
            using var stream = archive.Stream ?? throw new InvalidOperationException($"Docker returned no archive of {path} in {node.Name}");
            files.AddRange(await NodeFiles.ReadAsync(stream, Path.GetDirectoryName(path)!, cancellationToken));
        }

        return new NodeSpec(node.Cluster, node.Role, node.Index, node.Address, config.Image, [.. config.Cmd ?? []], environment, inspect.HostConfig?.Memory is null or 0 ? null : inspect.HostConfig.Memory, ports,
            NetworkAdmin: inspect.HostConfig?.CapAdd?.Contains("NET_ADMIN") ?? false)
        {
            Files = files,
            StopSignal = string.IsNullOrEmpty(config.StopSignal) ? null : config.StopSignal,
            LossyDisk = config.Labels?.ContainsKey(LabNaming.DiskLabel) == true,
        };
    }

    public async Task<NodeRuntime> InspectAsync(LabNode node, CancellationToken cancellationToken)
    {
        var inspect = await docker.Containers.InspectContainerAsync(node.Name, cancellationToken);
        var started = DateTimeOffset.TryParse(inspect.State?.StartedAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue;
        return new NodeRuntime(started, inspect.RestartCount);
    }

    public async Task<IReadOnlyDictionary<int, int>> PublishedPortsAsync(LabNode node, CancellationToken cancellationToken)
    {
        var inspect = await docker.Containers.InspectContainerAsync(node.Name, cancellationToken);
        return PublishedPorts(inspect);
    }

    public async Task RemoveAsync(LabNode node, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(node.Name, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
        }

        if (Host.LossyDisk.Exists(node.Name))
        {
            await Host.LossyDisk.RemoveAsync(node.Name, cancellationToken);
        }
    }

    public async Task<NodeExecResult> ExecAsync(LabNode node, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var exec = await docker.Exec.CreateContainerExecAsync(
            node.Name,
            new ContainerExecCreateParameters { Cmd = [.. command], AttachStdout = true, AttachStderr = true },
            cancellationToken);
        using var stream = await docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), cancellationToken);
        var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken);
        var inspect = await docker.Exec.InspectContainerExecAsync(exec.ID, cancellationToken);
        return new NodeExecResult(inspect.ExitCode ?? -1, stdout, stderr);
    }

    public async Task<string> LogsAsync(LabNode node, CancellationToken cancellationToken)
    {
        using var logs = await docker.Containers.GetContainerLogsAsync(node.Name, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, cancellationToken);
        var (stdout, stderr) = await logs.ReadOutputToEndAsync(cancellationToken);
        return stdout + stderr;
    }

    public async Task StreamLogsAsync(LabNode node, int? tail, bool follow, Stream stdout, Stream stderr, CancellationToken cancellationToken)
    {
        var parameters = new ContainerLogsParameters
        {
            ShowStdout = true,
            ShowStderr = true,
            Follow = follow,
            Tail = tail is { } lines ? lines.ToString(System.Globalization.CultureInfo.InvariantCulture) : "all",
        };
        using var logs = await docker.Containers.GetContainerLogsAsync(node.Name, parameters, cancellationToken);
        await logs.CopyOutputToAsync(Stream.Null, stdout, stderr, cancellationToken);
    }

    public async Task<bool> CopyOutAsync(LabNode node, string path, Stream destination, CancellationToken cancellationToken)
    {
        try
        {
            var archive = await docker.Containers.GetArchiveFromContainerAsync(node.Name, new ContainerPathStatParameters { Path = path }, statOnly: false, cancellationToken);
            using var stream = archive.Stream ?? throw new InvalidOperationException($"Docker returned no archive of {path} in {node.Name}");
            await stream.CopyToAsync(destination, cancellationToken);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<string> DescribeAsync(LabNode node, CancellationToken cancellationToken)
    {
        var inspect = await Host.HostCommand.RunAsync("docker", ["inspect", node.Name], cancellationToken);
        return inspect.Succeeded ? inspect.StandardOutput : throw new LabSetupException($"docker inspect {node.Name} failed: {inspect.Tail()}");
    }

    public async Task DeleteClusterAsync(string cluster, CancellationToken cancellationToken)
    {
        LabNaming.ValidateClusterName(cluster);
        foreach (var node in await ListNodesAsync(cluster, cancellationToken))
        {
            await RemoveAsync(node, cancellationToken);
        }

        // Disks whose container is already gone (a run that was killed half-way).
        foreach (var orphan in Host.LossyDisk.List($"{LabNaming.NetworkName(cluster)}-"))
        {
            await Host.LossyDisk.RemoveAsync(orphan, cancellationToken);
        }

        try
        {
            await docker.Networks.DeleteNetworkAsync(LabNaming.NetworkName(cluster), cancellationToken);
        }
        catch (DockerNetworkNotFoundException)
        {
        }
    }

    private static Dictionary<int, int> PublishedPorts(ContainerInspectResponse inspect) =>
        (inspect.HostConfig?.PortBindings ?? new Dictionary<string, IList<PortBinding>>())
            .Where(p => p.Value.Count > 0)
            .ToDictionary(p => int.Parse(p.Key.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture), p => int.Parse(p.Value[0].HostPort, System.Globalization.CultureInfo.InvariantCulture));

    private static LabNode? ToNode(ContainerListResponse container)
    {
        IDictionary<string, string> labels = container.Labels;
        string? Label(string key) => labels.TryGetValue(key, out var value) ? value : null;
        if (!labels.TryGetValue(LabNaming.ClusterLabel, out var cluster)
            || LabNaming.ParseRole(Label(LabNaming.RoleLabel)) is not { } role
            || !int.TryParse(Label(LabNaming.IndexLabel), out var index)
            || !IPAddress.TryParse(Label(LabNaming.AddressLabel), out var address))
        {
            return null;
        }

        return new LabNode(container.Names.First().TrimStart('/'), cluster, role, index, address, container.State);
    }
}
