using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace K3sLab.Perf.Raft;

/// <summary>
/// One member of a cluster under test: a process started from fixed arguments on fixed loopback ports over a data
/// folder that outlives the process, so it can be killed with SIGKILL and started again on the same data.
/// </summary>
internal sealed class MemberProcess : IAsyncDisposable
{
    private readonly string _executable;
    private readonly StringBuilder _log = new();

    /// <summary>
    /// With K3SLAB_PERF_MEMBER_LOGS=&lt;folder&gt;, every line the member prints goes, stamped with the local time, to
    /// &lt;folder&gt;/&lt;etcd|k3s&gt;-&lt;member&gt;.log too, to line a slow second of the load up with what the members did.
    /// </summary>
    private readonly string? _logCopy;
    private Process? _process;
    private double _cpuOfEarlierRuns;

    /// <summary>The background snapshot writes the member's log has announced, oldest first (guarded by the log's lock).</summary>
    private readonly List<SnapshotWrite> _snapshotWrites = [];

    public MemberProcess(string name, string executable, int clientPort, int peerPort, string dataDirectory)
    {
        Name = name;
        _executable = executable;
        ClientPort = clientPort;
        PeerPort = peerPort;
        DataDirectory = dataDirectory;
        if (Environment.GetEnvironmentVariable("K3SLAB_PERF_MEMBER_LOGS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            _logCopy = Path.Combine(folder, $"{Path.GetFileName(executable)}-{name}.log");
        }
    }

    public string Name { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public string DataDirectory { get; }

    /// <summary>The gRPC address, <c>http://127.0.0.1:port</c>.</summary>
    public string ClientUrl => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{ClientPort}");

    public string PeerUrl => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{PeerPort}");

    /// <summary>The endpoint as etcdctl 3.4 takes it (no scheme: see docs/datastore.md).</summary>
    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{ClientPort}");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts the process with <paramref name="arguments"/> (the first start and every restart pass their own).</summary>
    public void Start(IEnumerable<string> arguments)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running");
        }

        var start = new ProcessStartInfo(_executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        if (Path.GetFileName(_executable) == "k3s" && Environment.GetEnvironmentVariable("K3SLAB_PERF_K3S_ENV") is { Length: > 0 } extra)
        {
            foreach (var pair in extra.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new InvalidOperationException($"K3SLAB_PERF_K3S_ENV takes NAME=VALUE pairs separated by spaces; '{pair}' is not one");
                }

                start.Environment[pair[..eq]] = pair[(eq + 1)..];
            }
        }

        lock (_log)
        {
            // A write the last run of the process never finished ended with it.
            for (var i = 0; i < _snapshotWrites.Count; i++)
            {
                _snapshotWrites[i] = _snapshotWrites[i] with { Ended = _snapshotWrites[i].Ended ?? DateTime.UtcNow };
            }
        }

        _process?.Dispose();
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Kills the process with SIGKILL (no shutdown path runs) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            _cpuOfEarlierRuns = CpuSeconds();
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>User plus system CPU seconds this member has used over all its runs (0 when it is not running now).</summary>
    public double CpuSeconds()
    {
        if (_process is not { HasExited: false } process)
        {
            return _cpuOfEarlierRuns;
        }

        try
        {
            return _cpuOfEarlierRuns + ProcessStats.CpuSecondsOf(process.Id);
        }
        catch (IOException)
        {
            return _cpuOfEarlierRuns;
        }
    }

    /// <summary>Resident memory now and its peak over this run (<c>VmRSS</c>, <c>VmHWM</c>) in MiB; null when not running.</summary>
    public (double RssMiB, double PeakMiB)? Memory()
    {
        if (_process is not { HasExited: false } process)
        {
            return null;
        }

        try
        {
            return (ProcessStats.ResidentMiB(process.Id), ProcessStats.PeakResidentMiB(process.Id));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The snapshot writes that were in progress at any moment of [<paramref name="from"/>, <paramref name="to"/>) (UTC).</summary>
    public IReadOnlyList<SnapshotWrite> SnapshotWritesDuring(DateTime from, DateTime to)
    {
        lock (_log)
        {
            return [.. _snapshotWrites.Where(w => w.Overlaps(from, to))];
        }
    }

    /// <summary>The tail of what the member wrote to stdout and stderr, to explain a failure.</summary>
    public string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            NoteSnapshotWrite(line);
            if (_logCopy is not null)
            {
                File.AppendAllText(_logCopy, string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss.fff} {line}\n"));
            }

            if (_log.Length > 64 * 1024)
            {
                _log.Remove(0, _log.Length - (32 * 1024));
            }

            _log.AppendLine(line);
        }
    }

    private void NoteSnapshotWrite(string line)
    {
        if (SnapshotWrite.TryParseStart(line, out var index, out var bytes))
        {
            _snapshotWrites.Add(new SnapshotWrite(Name, index, bytes, DateTime.UtcNow, null));
        }
        else if (SnapshotWrite.TryParseEnd(line, out index))
        {
            var open = _snapshotWrites.FindLastIndex(w => w.Index == index && w.Ended is null);
            if (open >= 0)
            {
                _snapshotWrites[open] = _snapshotWrites[open] with { Ended = DateTime.UtcNow };
            }
        }
    }
}
