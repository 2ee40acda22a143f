using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Net.Client;
using K3sLab.K3s.Etcd.Wire;
using K3sLab.Lab.Host;

namespace K3sLab.Perf.Store;

/// <summary>
/// One store under test, started fresh in its own temp folder on a free loopback port: real etcd 3.4 as a
/// single member, or <c>k3s datastore serve</c> over a new SQLite file (automatic compaction off: the suite
/// compacts through the API as the kube-apiserver does, the same way for both). Killed and deleted on dispose.
/// </summary>
internal sealed class StoreProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly DirectoryInfo _root;
    private readonly StringBuilder _log = new();

    private StoreProcess(string name, DirectoryInfo root, int port, ProcessStartInfo start)
    {
        Name = name;
        _root = root;
        Port = port;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    /// <summary>Raised for each line the store writes to stdout or stderr (the churn run spots compaction ends in them).</summary>
    public event Action<string>? LineLogged;

    public int Port { get; }

    /// <summary>The gRPC address, <c>http://127.0.0.1:port</c>.</summary>
    public string Address => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}");

    /// <summary>Bytes of every file the store keeps on disk (etcd: bbolt db, WAL, snapshots; ours: db, -wal, -shm).</summary>
    public long DiskBytes() => _root.EnumerateFiles("*", SearchOption.AllDirectories).Sum(SafeLength);

    /// <summary>User plus system CPU seconds the store process has used.</summary>
    public double CpuSeconds() => ProcessStats.CpuSecondsOf(_process.Id);

    public static Task<StoreProcess> StartEtcdAsync(CancellationToken ct)
    {
        var root = Directory.CreateTempSubdirectory("k3slab-perf-etcd-");
        var port = Loopback.FreePort();
        var client = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        var peer = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Loopback.FreePort()}");
        var start = new ProcessStartInfo("/usr/bin/etcd");
        foreach (var arg in new[]
        {
            "--name", "default", "--data-dir", Path.Combine(root.FullName, "data"),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", $"default={peer}",
        })
        {
            start.ArgumentList.Add(arg);
        }

        return StartAsync(new StoreProcess("etcd 3.4 (single member)", root, port, start), ct);
    }

    public static Task<StoreProcess> StartDatastoreAsync(string k3s, CancellationToken ct)
    {
        var root = Directory.CreateTempSubdirectory("k3slab-perf-datastore-");
        var port = Loopback.FreePort();
        var start = new ProcessStartInfo(k3s);
        foreach (var arg in new[]
        {
            "datastore", "serve",
            "--endpoint", $"sqlite://{Path.Combine(root.FullName, "state.db")}",
            "--listen-address", string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"),
            "--compact-interval-seconds", "0",
        })
        {
            start.ArgumentList.Add(arg);
        }

        return StartAsync(new StoreProcess("k3s datastore serve (SQLite)", root, port, start), ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        _root.Delete(recursive: true);
    }

    private static async Task<StoreProcess> StartAsync(StoreProcess store, CancellationToken ct)
    {
        try
        {
            await store.WaitUntilServingAsync(ct);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Ready once a linearizable range answers: for etcd that means it has elected itself leader.</summary>
    private async Task WaitUntilServingAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        using var channel = GrpcChannel.ForAddress(Address);
        var kv = new KV.KVClient(channel);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before serving:\n{Log()}");
            }

            try
            {
                if (await Loopback.AcceptsAsync(Port, ct))
                {
                    await kv.RangeAsync(new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("ready") }, deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: ct);
                    return;
                }
            }
            catch (Grpc.Core.RpcException) when (watch.Elapsed < StartDeadline)
            {
            }

            if (watch.Elapsed > StartDeadline)
            {
                throw new TimeoutException($"{Name} did not serve within {StartDeadline.TotalSeconds:0} s:\n{Log()}");
            }

            await Task.Delay(50, ct);
        }
    }

    private string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        LineLogged?.Invoke(line);

        lock (_log)
        {
            // Keep the tail only: enough to explain a failure, bounded under a long run.
            if (_log.Length > 64 * 1024)
            {
                _log.Remove(0, _log.Length - (32 * 1024));
            }

            _log.AppendLine(line);
        }
    }

    private static long SafeLength(FileInfo file)
    {
        try
        {
            return file.Length;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }
}
