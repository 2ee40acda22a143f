using System.Diagnostics;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A command exec'd in a running container: started with the container's environment and working directory, in a
/// session of its own (<c>setsid</c>), and, when the container runs in a mount namespace of its own (it has
/// volumes), inside that namespace through <c>nsenter --mount</c>, so it sees the volumes where the container does.
/// Without a TTY its stdin, stdout and stderr are pipes; with one they are the slave end of a <see cref="Pty"/>
/// (opened by a small shell after <c>setsid</c>, so it becomes the command's controlling terminal) and the output
/// is the master end.
/// </summary>
internal sealed class ExecProcess : IDisposable
{
    private const string SetSid = "/usr/bin/setsid";
    private const string NsEnter = "/usr/bin/nsenter";

    private readonly Process _process;
    private readonly Pty? _pty;
    private readonly FileStream? _terminalOutput;
    private readonly FileStream? _terminalInput;

    private ExecProcess(Process process, Pty? pty)
    {
        _process = process;
        _pty = pty;
        if (pty is null)
        {
            Stdin = process.StandardInput.BaseStream;
            Stdout = process.StandardOutput.BaseStream;
            Stderr = process.StandardError.BaseStream;
        }
        else
        {
            process.StandardInput.Close();
            process.StandardOutput.Close();
            process.StandardError.Close();
            // Two streams over the master, so reading the terminal's output and writing its input never share one
            // FileStream's state (both are synchronous reads and writes of the one descriptor).
            _terminalOutput = new FileStream(pty.Master, FileAccess.Read, 0, isAsync: false);
            _terminalInput = new FileStream(pty.Master, FileAccess.Write, 0, isAsync: false);
            Stdin = _terminalInput;
            Stdout = _terminalOutput;
        }
    }

    /// <summary>The command's stdin (with a TTY, the terminal's input).</summary>
    public Stream Stdin { get; }

    /// <summary>The command's stdout (with a TTY, everything the terminal shows).</summary>
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

        var otherNamespace = MountNamespace(target.Pid) is { } theirs && theirs != MountNamespace(Environment.ProcessId);
        var path = target.Environment.GetValueOrDefault("PATH") ?? string.Empty;
        var program = argv[0];
        if (!otherNamespace)
        {
            // In the container's namespace the lookup is nsenter's (execvp); here it is ours, with the runtime's message.
            program = ProcessRuntime.Executable(argv[0], path)
                ?? throw new ContainerStartException($"exec: \"{argv[0]}\": executable file not found in $PATH");
        }

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
        _terminalInput?.Dispose();
        _terminalOutput?.Dispose();
        _pty?.Dispose();
        _process.Dispose();
    }

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
