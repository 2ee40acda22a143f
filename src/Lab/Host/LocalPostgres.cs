using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace K3sLab.Lab.Host;

/// <summary>
/// A private PostgreSQL on the host for tests and benchmarks: Debian's <c>postgresql</c> binaries (the newest version
/// under <c>/usr/lib/postgresql</c>), a fresh cluster from <c>initdb</c> in a temp folder owned by user <c>postgres</c>
/// (postgres refuses to run as root; commands run through <c>runuser</c> when the caller is root), listening on
/// 127.0.0.1 on a free port with password authentication, and a login role <see cref="User"/> that may create
/// databases. Stopped with <c>pg_ctl stop -m immediate</c> and removed on dispose.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    public const string User = "k3s";

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("k3slab-pg-");
    private readonly bool _fsync;
    private string _bin = string.Empty;

    private LocalPostgres(bool fsync) => _fsync = fsync;

    public int Port { get; private set; }

    public string Password { get; } = "pw-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>What the server logged, for failure messages.</summary>
    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : string.Empty;

    private string DataDir => Path.Combine(_root.FullName, "data");

    private string LogFile => Path.Combine(_root.FullName, "postgres.log");

    /// <summary>
    /// Creates and starts the cluster. <paramref name="fsync"/> off suits correctness tests (faster, nothing to
    /// survive); benchmarks keep it on, as any PostgreSQL a k3s cluster depends on would.
    /// </summary>
    public static async Task<LocalPostgres> StartAsync(bool fsync)
    {
        var postgres = new LocalPostgres(fsync);
        try
        {
            postgres._bin = FindBin();
            postgres.Port = Loopback.FreePort();
            await postgres.InitializeAsync();
            return postgres;
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>A k3s endpoint for <paramref name="database"/> as <see cref="User"/>, or with another password.</summary>
    public string Endpoint(string database, string? password = null) =>
        $"postgres://{User}:{Uri.EscapeDataString(password ?? Password)}@127.0.0.1:{Port}/{database}?sslmode=disable";

    /// <summary>Runs SQL as the superuser over the private socket.</summary>
    public Task<string> PsqlAsync(string sql, string database = "postgres") =>
        RunAsync(Path.Combine(_bin, "psql"), ["-h", _root.FullName, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql]);

    /// <summary>Starts the server again after <see cref="StopAsync"/>.</summary>
    public Task StartAsync() =>
        RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-l", LogFile, "-w", "-t", "60", "-o", $"-p {Port} -k {_root.FullName} -c listen_addresses=127.0.0.1 -c fsync={(_fsync ? "on" : "off")}", "start"]);

    /// <summary><c>pg_ctl restart -m fast</c>: every client connection is terminated, the server is back when this returns.</summary>
    public Task RestartAsync() =>
        RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-l", LogFile, "-w", "-t", "60", "-m", "fast", "restart"]);

    public Task StopAsync() =>
        RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-w", "-t", "30", "-m", "fast", "stop"]);

    public async ValueTask DisposeAsync()
    {
        if (_bin.Length > 0 && Directory.Exists(DataDir))
        {
            try
            {
                await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-w", "-t", "20", "-m", "immediate", "stop"]);
            }
            catch (InvalidOperationException)
            {
                KillPostmaster();
            }
        }

        _root.Delete(recursive: true);
    }

    private async Task InitializeAsync()
    {
        await RunAsync("chown", ["-R", "postgres:postgres", _root.FullName], asPostgres: false);
        var superPassword = Path.Combine(_root.FullName, "superuser-password");
        await File.WriteAllTextAsync(superPassword, "super-" + Password);
        await RunAsync("chown", ["postgres:postgres", superPassword], asPostgres: false);
        await RunAsync(Path.Combine(_bin, "initdb"), ["-D", DataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile", superPassword, "-E", "UTF8", "--no-sync"]);
        await StartAsync();
        await PsqlAsync($"CREATE ROLE {User} LOGIN CREATEDB PASSWORD '{Password}'");
    }

    private void KillPostmaster()
    {
        var pidFile = Path.Combine(DataDir, "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), out var pid))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
            }
        }
    }

    private static string FindBin()
    {
        const string root = "/usr/lib/postgresql";
        var versions = Directory.Exists(root)
            ? Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "bin", "initdb"))).OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).ToList()
            : [];
        return versions.Count > 0
            ? Path.Combine(versions[0], "bin")
            : throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): apt-get install postgresql (tests/peers.apt lists it)");
    }

    private static async Task<string> RunAsync(string file, string[] arguments, bool asPostgres = true)
    {
        var root = Environment.UserName == "root";
        var start = new ProcessStartInfo(asPostgres && root ? "runuser" : file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        if (asPostgres && root)
        {
            foreach (var arg in (string[])["-u", "postgres", "--", file])
            {
                start.ArgumentList.Add(arg);
            }
        }

        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var output = new StringBuilder().Append(await stdout).Append(await stderr).ToString();
        return process.ExitCode == 0
            ? (await stdout).Trim()
            : throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited {process.ExitCode}: {output}");
    }
}
