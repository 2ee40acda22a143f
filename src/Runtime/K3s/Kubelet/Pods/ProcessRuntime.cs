using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Runs containers as processes of the node: the container's argv with exactly its environment, in its working
/// directory (created when missing, as runtimes do; <c>/</c> by default), stdin closed, started through
/// <c>setsid</c> so it leads a new session and process group (setsid execs in place, so the pid is the container's
/// own). stdout and stderr are copied line by line to the container's log file in the CRI format the kubelet's
/// log files use (<c>&lt;RFC3339Nano&gt; stdout F &lt;line&gt;</c>). A container with volumes runs in its own mount
/// namespace (<c>unshare --mount</c>), where each volume is bind-mounted at its <c>mountPath</c> (see
/// <see cref="MountScript"/>); the mount points are created in the node's filesystem. The program is looked up in the container's
/// <c>PATH</c> first, so a missing one fails as <c>StartError</c> with the runtime's message rather than as an exit.
/// Stateless; thread-safe.
/// </summary>
internal sealed class ProcessRuntime(TimeProvider time) : IContainerRuntime
{
    private const string SetSid = "/usr/bin/setsid";

    private const string Unshare = "/usr/bin/unshare";

    /// <summary>
    /// Null when this node can make a private mount namespace, else what <c>unshare</c> said: asked once, so a node
    /// without the privilege (a container without CAP_SYS_ADMIN) reports why as the container's start error instead of
    /// each container crashing on it.
    /// </summary>
    private static readonly Lazy<string?> MountNamespaceProbe = new(() =>
    {
        var probe = new ProcessStartInfo(Unshare) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["--mount", "--propagation", "private", "true"])
        {
            probe.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(probe)!;
            var error = process.StandardError.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : error.Length > 0 ? error : $"unshare exited with {process.ExitCode}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return e.Message;
        }
    });

    /// <inheritdoc/>
    public string? MountNamespaceRefusal => MountNamespaceProbe.Value;

    /// <inheritdoc/>
    public IReadOnlyList<string>? Command(System.Text.Json.Nodes.JsonObject container, IReadOnlyDictionary<string, string> environment, out string? error) =>
        ContainerCommand.Resolve(container, environment, out error);

    /// <inheritdoc/>
    public IRunningContainer Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, string? workingDir, string logFile, IReadOnlyList<VolumeMount> mounts)
    {
        var program = Executable(argv[0], environment.GetValueOrDefault("PATH") ?? string.Empty)
            ?? throw new ContainerStartException($"exec: \"{argv[0]}\": executable file not found in $PATH");
        var directory = string.IsNullOrEmpty(workingDir) ? "/" : workingDir;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerStartException($"chdir to cwd (\"{directory}\") set in config.json failed: {e.Message}");
        }

        var start = new ProcessStartInfo(File.Exists(SetSid) ? SetSid : program)
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (File.Exists(SetSid))
        {
            start.ArgumentList.Add(mounts.Count > 0 ? Unshare : program);
        }
        else if (mounts.Count > 0)
        {
            start.FileName = Unshare;
        }

        if (mounts.Count > 0)
        {
            if (!File.Exists(Unshare))
            {
                throw new ContainerStartException($"volumes need {Unshare} (util-linux) to mount them in the container's own mount namespace");
            }

            if (MountNamespaceProbe.Value is { } refusal)
            {
                throw new ContainerStartException($"volumes are mounted in a mount namespace of the container's own, and this node cannot make one ({refusal}); a node that is itself a container needs CAP_SYS_ADMIN");
            }

            foreach (var arg in (string[])["--mount", "--propagation", "private", "/bin/sh", "-c", MountScript(mounts, workingDir), "sh", program])
            {
                start.ArgumentList.Add(arg);
            }
        }

        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var log = new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ContainerStartException($"exec: \"{argv[0]}\": the process did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log.Dispose();
            throw new ContainerStartException($"exec: \"{argv[0]}\": {e.Message}");
        }

        process.StandardInput.Close();
        var gate = new object();
        var copies = Task.WhenAll(CopyAsync(process.StandardOutput, "stdout", log, gate), CopyAsync(process.StandardError, "stderr", log, gate));
        return new ContainerProcess(process, copies.ContinueWith(_ => log.Dispose(), TaskScheduler.Default));
    }

    /// <summary>
    /// The shell that runs first in a container with volumes, inside its new private mount namespace: it creates
    /// each mount point that is missing (a file for a file; an existing one, such as the node's
    /// <c>/etc/resolv.conf</c> under a pod's, is left as it is, its times too), bind-mounts the volume there
    /// (read-only when asked), changes to the working directory and execs the container's program in place, so the
    /// pid stays the container's.
    /// </summary>
    internal static string MountScript(IReadOnlyList<VolumeMount> mounts, string? workingDir)
    {
        static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var steps = new List<string>();
        foreach (var mount in mounts)
        {
            steps.Add(File.Exists(mount.Source)
                ? $"mkdir -p -- {Quote(Path.GetDirectoryName(mount.Target) ?? "/")} && {{ [ -e {Quote(mount.Target)} ] || touch -- {Quote(mount.Target)}; }}"
                : $"mkdir -p -- {Quote(mount.Target)}");
            steps.Add($"mount --bind -- {Quote(mount.Source)} {Quote(mount.Target)}");
            if (mount.ReadOnly)
            {
                steps.Add($"mount -o remount,bind,ro -- {Quote(mount.Target)}");
            }
        }

        steps.Add($"cd -- {Quote(string.IsNullOrEmpty(workingDir) ? "/" : workingDir)}");
        steps.Add("exec \"$@\"");
        return string.Join(" && ", steps);
    }

    /// <summary>
    /// The file an argv[0] names: a path as given, else the first executable match in <paramref name="path"/>. With
    /// <paramref name="root"/> (a container's <c>/proc/&lt;pid&gt;/root</c>) the files are looked for as that process
    /// sees them, in its mount namespace, and returned as it names them; a relative path is then left to the exec.
    /// </summary>
    public static string? Executable(string name, string path, string root = "")
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return root.Length > 0 && !name.StartsWith('/') ? name : IsExecutable(root + name) ? name : null;
        }

        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, name)).FirstOrDefault(f => IsExecutable(root + f));
    }

    private static bool IsExecutable(string file) =>
        File.Exists(file) && (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    private async Task CopyAsync(StreamReader reader, string stream, FileStream log, object gate)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            var entry = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{time.GetUtcNow().UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'} {stream} F {line}\n"));
            lock (gate)
            {
                log.Write(entry);
                log.Flush();
            }
        }
    }
}
