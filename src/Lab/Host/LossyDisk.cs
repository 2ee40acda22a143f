using System.Runtime.InteropServices;

namespace K3sLab.Lab.Host;

/// <summary>
/// A node's data disk that loses what was not fsynced when the node loses power: an ext4 file system in a sparse
/// image file on a loop device of the host, mounted under <see cref="Root"/> and bound into the node's container.
/// </summary>
/// <remarks>
/// <para><see cref="CutPower"/> shuts the file system down without flushing its journal or its dirty pages
/// (<c>EXT4_IOC_SHUTDOWN</c> with <c>NOLOGFLUSH</c>, the call xfstests makes to simulate a power failure): from that
/// moment every write fails and nothing more reaches the image. The node's processes must be frozen before it, as
/// nothing runs after a real power cut (see <see cref="CutPower"/>). <see cref="PowerOnAsync"/> then unmounts it,
/// detaches its loop device and mounts the image afresh, replaying the journal as a machine does when it boots after
/// a power cut. Data and metadata that were fsynced are there; writes that sat in the page cache are gone, and a file
/// created or grown without an fsync may be missing or shorter.</para>
/// <para>A plain SIGKILL of a container does not do this: the host's page cache survives it and writes everything
/// back, fsynced or not. The host needs root, loop devices and ext4 (<see cref="Problem"/> says what is missing).</para>
/// </remarks>
internal static partial class LossyDisk
{
    /// <summary>Where the images and their mount points live on the host.</summary>
    public const string Root = "/var/lib/k3slab/disks";

    /// <summary>The image's size: sparse, so only what the node writes takes space.</summary>
    private const long ImageBytes = 16L << 30;

    // EXT4_IOC_SHUTDOWN = _IOR('X', 125, __u32); EXT4_GOING_FLAGS_NOLOGFLUSH = 2.
    private const uint ShutdownRequest = 0x8004587D;
    private const uint NoLogFlush = 2;
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY

    public static string ImagePath(string node) => Path.Combine(Root, node + ".img");

    public static string MountPath(string node) => Path.Combine(Root, node);

    /// <summary>Whether <paramref name="node"/> has a lossy disk (its image exists).</summary>
    public static bool Exists(string node) => File.Exists(ImagePath(node));

    /// <summary>Why lossy disks cannot be made on this host, or null.</summary>
    public static string? Problem()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "lossy disks need Linux (loop devices and ext4)";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "lossy disks need root: they are loop-mounted ext4 file systems on the host";
        }

        if (!File.Exists("/dev/loop-control"))
        {
            return "lossy disks need loop devices and this host has no /dev/loop-control";
        }

        return null;
    }

    /// <summary>Makes and mounts a fresh disk for <paramref name="node"/> (replacing any left over) and returns its mount point.</summary>
    public static async Task<string> CreateAsync(string node, CancellationToken cancellationToken)
    {
        if (Problem() is { } problem)
        {
            throw new LabSetupException($"cannot give {node} a lossy data disk: {problem}");
        }

        Directory.CreateDirectory(Root);
        await RemoveAsync(node, cancellationToken);
        var image = ImagePath(node);
        await using (var file = new FileStream(image, FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength(ImageBytes);
        }

        await MustAsync("mkfs.ext4", ["-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1", "-L", "k3slab-data", image], node, cancellationToken);
        await MountAsync(node, cancellationToken);
        return MountPath(node);
    }

    /// <summary>
    /// The power cut, as seen by the disk: the file system is shut down without flushing anything, so unsynced writes
    /// never reach the image. Call it with the node's processes frozen, then kill them: a process that still runs
    /// can be told that an fsync racing the shutdown succeeded although the shutdown dropped its journal commit.
    /// </summary>
    /// <remarks>
    /// Measured on this kernel (6.18) with a process appending 4 KiB records, each fdatasynced, cut at a random moment:
    /// with the process running, 21 of 380 cuts lost the last record whose fdatasync had returned (the image held the
    /// commit before it and nothing after); stopped first, 0 of 80. In the lab's own test
    /// (<c>DockerProviderTests.Kill_LossyDisk_KeepsEveryRecordAFsyncAcknowledged</c>) cutting before freezing failed 3 of
    /// 42 cuts, and freezing first passed 60 of 60.
    /// </remarks>
    public static void CutPower(string node)
    {
        var fd = Open(MountPath(node), ReadOnlyDirectory);
        if (fd < 0)
        {
            throw new LabSetupException($"cannot open {MountPath(node)} to cut {node}'s disk: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            var flags = NoLogFlush;
            if (Ioctl(fd, ShutdownRequest, ref flags) != 0)
            {
                throw new LabSetupException($"shutting down {node}'s data disk ({MountPath(node)}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Power comes back, for the disk: once the node's processes are gone, the shut-down file system is unmounted and
    /// the image mounted again, with only what was durable before the cut. The node can then be started.
    /// </summary>
    public static async Task PowerOnAsync(string node, CancellationToken cancellationToken)
    {
        await UnmountAsync(node, cancellationToken);
        await MountAsync(node, cancellationToken);
    }

    /// <summary>Unmounts and deletes <paramref name="node"/>'s disk; nothing happens when it has none.</summary>
    public static async Task RemoveAsync(string node, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Root))
        {
            return;
        }

        await UnmountAsync(node, cancellationToken);
        File.Delete(ImagePath(node));
        if (Directory.Exists(MountPath(node)))
        {
            Directory.Delete(MountPath(node));
        }
    }

    /// <summary>The nodes under <paramref name="prefix"/> (a cluster's container name prefix) that have a disk on this host.</summary>
    public static IReadOnlyList<string> List(string prefix) =>
        !Directory.Exists(Root) ? []
            : [.. Directory.EnumerateFiles(Root, prefix + "*.img").Select(p => Path.GetFileNameWithoutExtension(p)!)];

    private static async Task MountAsync(string node, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(MountPath(node));
        var loop = (await MustAsync("losetup", ["--find", "--show", ImagePath(node)], node, cancellationToken)).StandardOutput.Trim();
        var mount = await HostCommand.RunAsync("mount", ["-t", "ext4", loop, MountPath(node)], cancellationToken);
        if (!mount.Succeeded)
        {
            await HostCommand.RunAsync("losetup", ["-d", loop], CancellationToken.None);
            throw new LabSetupException($"mounting {node}'s data disk ({loop} on {MountPath(node)}) failed: {mount.Tail()}");
        }
    }

    /// <summary>Unmounts the disk (retrying while the node's container lets go of it) and detaches its loop devices.</summary>
    private static async Task UnmountAsync(string node, CancellationToken cancellationToken)
    {
        var mountPoint = MountPath(node);
        for (var attempt = 0; IsMounted(mountPoint); attempt++)
        {
            var umount = await HostCommand.RunAsync("umount", [mountPoint], cancellationToken);
            if (umount.Succeeded)
            {
                break;
            }

            if (attempt >= 50)
            {
                throw new LabSetupException($"cannot unmount {node}'s data disk {mountPoint}: {umount.Tail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        if (!File.Exists(ImagePath(node)))
        {
            return;
        }

        var attached = await HostCommand.RunAsync("losetup", ["--associated", ImagePath(node), "--noheadings", "--output", "NAME"], cancellationToken);
        foreach (var loop in attached.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // A device still held by a dying mount namespace is detached by the kernel once released (autoclear).
            await HostCommand.RunAsync("losetup", ["-d", loop], cancellationToken);
        }
    }

    private static bool IsMounted(string mountPoint) =>
        File.ReadLines("/proc/self/mountinfo").Any(line => line.Split(' ') is { Length: > 4 } fields && fields[4] == mountPoint);

    private static async Task<HostCommandResult> MustAsync(string program, string[] arguments, string node, CancellationToken cancellationToken)
    {
        var result = await HostCommand.RunAsync(program, arguments, cancellationToken);
        return result.Succeeded ? result : throw new LabSetupException($"{program} failed for {node}'s data disk: {result.Tail()}");
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, ref uint argument);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
