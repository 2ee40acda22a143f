using System.Diagnostics;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A command exec'd in a running container: started with the container's environment and working directory, in a
/// session of its own (<c>setsid</c>), and, when the container runs in a mount namespace of its own (it has
/// volumes), inside that namespace through <c>nsenter --mount</c>, so it sees the volumes where the container does.
/// Without a TTY its stdin, stdout and stderr are pipes; with one they are the slave end of a <see cref="Pty"/>
/// (opened by a small shell after <c>setsid</c>, so it becomes the command's controlling terminal) and the output
/// is the master end. Each output is read by an <see cref="OutputReader"/> on a thread of its own.
/// </summary>
internal sealed class ExecProcess : IDisposable
{
    private const string SetSid = "/usr/bin/setsid";
    public const string NsEnter = "/usr/bin/nsenter";

    private readonly Process _process;
    private readonly Pty? _pty;
    private readonly FileStream? _terminalInput;
    private readonly OutputReader _stdout;
    private readonly OutputReader? _stderr;

    private ExecProcess(Process process, Pty? pty)
    {
        _process = process;
        _pty = pty;
        if (pty is null)
        {
            Stdin = process.StandardInput.BaseStream;
            _stdout = OutputReader.Start(DescriptorOf(process.StandardOutput.BaseStream), "exec stdout");
            _stderr = OutputReader.Start(DescriptorOf(process.StandardError.BaseStream), "exec stderr");
            Stderr = _stderr.Output;
        }
        else
        {
            process.StandardInput.Close();
            process.StandardOutput.Close();
            process.StandardError.Close();
            // The terminal's input is written here; its output is read by the reader's thread alone.
            _terminalInput = new FileStream(pty.Master, FileAccess.Write, 0, isAsync: false);
            Stdin = _terminalInput;
            _stdout = OutputReader.Start(pty.Master, "exec terminal");
        }

        Stdout = _stdout.Output;
    }

    /// <summary>The command's stdin (with a TTY, the terminal's input).</summary>
    public Stream Stdin { get; }

    /// <summary>The command's stdout (with a TTY, everything the terminal shows); ends with the output.</summary>
    public Stream Stdout { get; }

    /// <summary>The command's stderr; null with a TTY.</summary>
    public Stream? Stderr { get; }

    public int Pid => _process.Id;

    /// <summary>
    /// Starts <paramref name="argv"/> in <paramref name="target"/>'s context; with <paramref name="tty"/>, on a
    /// terminal of <paramref name="size"/> columns and rows from the start (null leaves it 0 by 0).
    /// </summary>
    /// <exception cref="ContainerStartException">The program does not exist or could not start, in the runtime's words.</exception>
    public static ExecProcess Start(ExecTarget target, IReadOnlyList<string> argv, bool tty, (ushort Columns, ushort Rows)? size = null)
    {
        if (argv.Count == 0)
        {
            throw new ContainerStartException("exec: no command given");
        }

        var otherNamespace = HasOwnMountNamespace(target.Pid);
        var path = target.Environment.GetValueOrDefault("PATH") ?? string.Empty;
        // Looked up as the container sees its files (through /proc/<pid>/root when it has a mount namespace of its
        // own), so a missing program is the runtime's error rather than nsenter's exit code 127.
        var program = ProcessRuntime.Executable(argv[0], path, otherNamespace ? $"/proc/{target.Pid}/root" : string.Empty)
            ?? throw new ContainerStartException($"exec: \"{argv[0]}\": executable file not found in $PATH");

        var directory = string.IsNullOrEmpty(target.WorkingDir) ? "/" : target.WorkingDir;
        var start = new ProcessStartInfo(File.Exists(SetSid) ? SetSid : program)
        {
            WorkingDirectory = otherNamespace || !Directory.Exists(directory) ? "/" : directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var args = new List<string>();
        if (otherNamespace)
        {
            args.AddRange([NsEnter, $"--mount=/proc/{target.Pid}/ns/mnt", $"--wd={directory}", "--"]);
        }

        Pty? pty = null;
        if (tty)
        {
            pty = Pty.Open();
            if (size is { } initial)
            {
                pty.Resize(initial.Columns, initial.Rows);
            }

            args.AddRange(["/bin/sh", "-c", "t=$1; shift; exec \"$@\" <>\"$t\" >&0 2>&0", "sh", pty.SlavePath]);
        }

        args.Add(program);
        args.AddRange(argv.Skip(1));
        if (File.Exists(SetSid))
        {
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }
        }
        else
        {
            start.FileName = args[0];
            foreach (var arg in args.Skip(1))
            {
                start.ArgumentList.Add(arg);
            }
        }

        start.Environment.Clear();
        foreach (var (key, value) in target.Environment)
        {
            start.Environment[key] = value;
        }

        if (tty && !target.Environment.ContainsKey("TERM"))
        {
            // As container runtimes do for a terminal session.
            start.Environment["TERM"] = "xterm";
        }

        try
        {
            var process = Process.Start(start) ?? throw new ContainerStartException($"exec: \"{argv[0]}\": the process did not start");
            return new ExecProcess(process, pty);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            pty?.Dispose();
            throw new ContainerStartException($"exec: \"{argv[0]}\": {e.Message}");
        }
    }

    /// <summary>Sets the terminal's size (no-op without a TTY).</summary>
    public void Resize(ushort columns, ushort rows) => _pty?.Resize(columns, rows);

    /// <summary>
    /// Completes when <see cref="Stdout"/> and <see cref="Stderr"/> hold everything that will be read: at the
    /// output's end, or at the deadline set by <see cref="StopReadingAfter"/> when a background child still holds
    /// it open.
    /// </summary>
    public Task OutputRead => _stderr is null ? _stdout.Ended : Task.WhenAll(_stdout.Ended, _stderr.Ended);

    /// <summary>True once every output was read to its end (not stopped at the deadline).</summary>
    public bool OutputEnded => Ended(_stdout) && (_stderr is null || Ended(_stderr));

    /// <summary>
    /// After the command exited: stops reading output that is still open once it has been quiet after
    /// <paramref name="grace"/> (a background child holding it); output that ends sooner is read to its end.
    /// </summary>
    public void StopReadingAfter(TimeSpan grace)
    {
        _stdout.StopWhenIdleAfter(grace);
        _stderr?.StopWhenIdleAfter(grace);
    }

    public async Task<int> WaitAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct);
        return _process.ExitCode;
    }

    /// <summary>Kills the command's whole session (its process group), e.g. when the client went away.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            ProcessGroups.Signal(_process.Id, ProcessGroups.SigKill);
        }
    }

    public void Dispose()
    {
        _stdout.Dispose();
        _stderr?.Dispose();
        _terminalInput?.Dispose();
        _pty?.Dispose();
        _process.Dispose();
    }

    private static bool Ended(OutputReader reader) => reader.Ended.IsCompletedSuccessfully && reader.Ended.Result;

    private static System.Runtime.InteropServices.SafeHandle DescriptorOf(Stream stream) => stream switch
    {
        System.IO.Pipes.PipeStream pipe => pipe.SafePipeHandle,
        FileStream file => file.SafeFileHandle,
        _ => throw new InvalidOperationException($"cannot read a {stream.GetType().Name} by its descriptor"),
    };

    /// <summary>Whether the process runs in a mount namespace other than this process's.</summary>
    public static bool HasOwnMountNamespace(int pid) => MountNamespace(pid) is { } theirs && theirs != MountNamespace(Environment.ProcessId);

    private static string? MountNamespace(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/mnt").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
