using System.Diagnostics;
using System.Globalization;
using System.Text;
using K3sLab.Lab.Host;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// A local process that serves the etcd v3 gRPC API on a free loopback port with an empty store in its own temp
/// directory: either real etcd 3.4 (the reference) or our <c>k3s datastore serve</c> over SQLite. It counts as ready
/// once <c>etcdctl endpoint health</c> succeeds; it is stopped with SIGTERM, then killed if it does not exit.
/// </summary>
internal sealed class EtcdApiServer : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);

    private readonly StringBuilder _log = new();
    private readonly Process _process;
    private readonly DirectoryInfo _root;
    private readonly int _port;

    private EtcdApiServer(string name, DirectoryInfo root, int port, ProcessStartInfo start)
    {
        Name = name;
        _root = root;
        _port = port;
        // As users write it. etcdctl 3.4 puts this whole URL into the HTTP/2 :authority of the calls it dials per
        // endpoint (endpoint status, hashkv, defrag); both stores must accept that.
        ClientUrl = $"http://127.0.0.1:{port}";
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>What the transcript calls this side, e.g. <c>etcd 3.4</c>.</summary>
    public string Name { get; }

    /// <summary>The client URL, <c>http://127.0.0.1:port</c>.</summary>
    public string ClientUrl { get; }

    /// <summary>What the server logged so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Real etcd (<c>/usr/bin/etcd</c>), a single-member cluster named <c>default</c>.</summary>
    public static async Task<EtcdApiServer> StartEtcdAsync(string name, CancellationToken ct)
    {
        var root = Directory.CreateTempSubdirectory("k3slab-etcd-");
        var client = $"http://127.0.0.1:{Loopback.FreePort()}";
        var peer = $"http://127.0.0.1:{Loopback.FreePort()}";
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

        return await StartAsync(new EtcdApiServer(name, root, new Uri(client).Port, start), ct);
    }

    /// <summary>Our <c>k3s datastore serve</c> from the published runtime (published first when stale), on a fresh SQLite file.</summary>
    public static async Task<EtcdApiServer> StartDatastoreAsync(string name, CancellationToken ct)
    {
        var runtime = new PublishedRuntime();
        await runtime.InitializeAsync();
        var root = Directory.CreateTempSubdirectory("k3slab-datastore-");
        var port = Loopback.FreePort();
        var start = new ProcessStartInfo(runtime.Executable);
        foreach (var arg in new[]
        {
            "datastore", "serve",
            "--endpoint", $"sqlite://{Path.Combine(root.FullName, "state.db")}",
            "--listen-address", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
        })
        {
            start.ArgumentList.Add(arg);
        }

        return await StartAsync(new EtcdApiServer(name, root, port, start), ct);
    }

    /// <summary>Our replicated (Raft) datastore from the published runtime: <c>k3s datastore member --cluster-init</c>, one member.</summary>
    public static async Task<EtcdApiServer> StartReplicatedAsync(string name, CancellationToken ct)
    {
        var runtime = new PublishedRuntime();
        await runtime.InitializeAsync();
        var root = Directory.CreateTempSubdirectory("k3slab-replicated-");
        var port = Loopback.FreePort();
        var start = new ProcessStartInfo(runtime.Executable);
        foreach (var arg in new[]
        {
            "datastore", "member", "--name", "default", "--data-dir", Path.Combine(root.FullName, "data"), "--cluster-init",
            "--listen-client-urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--listen-peer-urls", $"http://127.0.0.1:{Loopback.FreePort().ToString(CultureInfo.InvariantCulture)}",
        })
        {
            start.ArgumentList.Add(arg);
        }

        return await StartAsync(new EtcdApiServer(name, root, port, start), ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
        _root.Delete(recursive: true);
    }

    private static async Task<EtcdApiServer> StartAsync(EtcdApiServer server, CancellationToken ct)
    {
        try
        {
            await server.WaitUntilHealthyAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilHealthyAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StartDeadline;
        var health = new EtcdctlResult(null, "", "(the port never accepted a connection)");
        while (true)
        {
            // Health is a linearizable read of the key "health": it does not move the revision the script depends on.
            // Until the port accepts connections, only the cheap check runs, so a server that exits is seen at once.
            if (await Loopback.AcceptsAsync(_port, ct))
            {
                health = await Etcdctl.RunAsync(ClientUrl, ["endpoint", "health", "--command-timeout=2s"], null, TimeSpan.FromSeconds(10), ct);
                if (health.ExitCode == 0)
                {
                    return;
                }
            }

            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                var why = _process.HasExited ? $"exited with code {_process.ExitCode} before it became healthy" : $"did not become healthy within {StartDeadline.TotalSeconds:0} s";
                throw new InvalidOperationException(
                    $"{Name} at {ClientUrl} {why}.\n" +
                    $"Last etcdctl endpoint health: {health.Stdout}{health.Stderr}\nServer log:\n{Log}");
            }

            await Task.Delay(100, ct);
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
