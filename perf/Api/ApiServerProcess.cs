using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using K3sLab.Lab.Host;

namespace K3sLab.Perf.Api;

/// <summary>
/// One <c>k3s server --disable-agent</c> under test, started fresh in its own temp folder on a free loopback port
/// (SQLite, its default datastore), ready once <c>/readyz</c> answers 200. Killed and deleted on dispose.
/// </summary>
internal sealed class ApiServerProcess : IAsyncDisposable, IApiTarget
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly DirectoryInfo _root;
    private readonly StringBuilder _log = new();

    private ApiServerProcess(DirectoryInfo root, IPAddress address, int port, ProcessStartInfo start)
    {
        _root = root;
        Address = address;
        Port = port;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The loopback address it binds: 127.0.0.1 unless it was started on its own (an embedded-store member needs one for its peer ports).</summary>
    public IPAddress Address { get; }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public Uri BaseAddress => new(string.Create(CultureInfo.InvariantCulture, $"https://{Address}:{Port}"));

    /// <summary>Its <c>--data-dir</c>: the join token is <c>server/token</c> under it.</summary>
    public string DataDirectory => Path.Combine(_root.FullName, "data");

    /// <summary>The folder of the cluster's certificates: server-ca.crt and client-admin.crt/.key.</summary>
    public string TlsDirectory => Path.Combine(DataDirectory, "server", "tls");

    public string NamespacePrefix => "perf";

    public X509Certificate2 LoadClientCertificate() => X509Certificate2.CreateFromPemFile(Path.Combine(TlsDirectory, "client-admin.crt"), Path.Combine(TlsDirectory, "client-admin.key"));

    public X509Certificate2 LoadCa() => X509CertificateLoader.LoadCertificateFromFile(Path.Combine(TlsDirectory, "server-ca.crt"));

    /// <summary>User plus system CPU seconds the server has used.</summary>
    public double CpuSeconds() => ProcessStats.CpuSecondsOf(_process.Id);

    /// <summary>The server's resident memory now, in MiB.</summary>
    public double RssMiB() => ProcessStats.ResidentMiB(_process.Id);

    public static Task<ApiServerProcess> StartAsync(string k3s, CancellationToken ct) => StartAsync(k3s, kubelet: false, [], ct);

    /// <summary>
    /// A server with its own kubelet (node <c>perf</c>, kubelet API on a free port) when <paramref name="kubelet"/>,
    /// and <paramref name="extra"/> flags, bound to <paramref name="address"/> (127.0.0.1 when null).
    /// </summary>
    public static async Task<ApiServerProcess> StartAsync(string k3s, bool kubelet, string[] extra, CancellationToken ct, IPAddress? address = null)
    {
        var root = Directory.CreateTempSubdirectory("k3slab-perf-api-");
        address ??= IPAddress.Loopback;
        var port = Loopback.FreePort();
        var start = new ProcessStartInfo(k3s);
        string[] args =
        [
            "server",
            "--data-dir", Path.Combine(root.FullName, "data"),
            "--bind-address", address.ToString(),
            "--https-listen-port", port.ToString(CultureInfo.InvariantCulture),
            "--write-kubeconfig", Path.Combine(root.FullName, "k3s.yaml"),
            "--node-name", "perf",
            "--disable=coredns",
            // k3s's metrics-server is a pod: with no agent, or only hollow nodes, it never runs, so it does not scrape here either.
            "--disable=metrics-server",
            .. kubelet ? ["--disable-kube-proxy", "--node-ip", "127.0.0.1", "--kubelet-arg", $"port={Loopback.FreePort()}"] : new[] { "--disable-agent" },
            .. extra,
        ];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var server = new ApiServerProcess(root, address, port, start);
        try
        {
            await server.WaitUntilReadyAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
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

    /// <summary>The tail of what the server logged, to explain a failure.</summary>
    public string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var probe = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        })
        { Timeout = TimeSpan.FromSeconds(2) };
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"k3s server exited with code {_process.ExitCode} before it was ready:\n{Log()}");
            }

            if (clock.Elapsed > StartDeadline)
            {
                throw new TimeoutException($"k3s server was not ready within {StartDeadline.TotalSeconds:0} s:\n{Log()}");
            }

            // Only the readiness probe skips certificate checks: the certificates it would check against are written during start-up.
            if (await Loopback.AcceptsAsync(Address, Port, ct) && File.Exists(Path.Combine(TlsDirectory, "client-admin.key")))
            {
                try
                {
                    using var response = await probe.GetAsync(new Uri(BaseAddress, "/readyz"), ct);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException) when (!ct.IsCancellationRequested)
                {
                }
            }

            await Task.Delay(50, ct);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

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
}
