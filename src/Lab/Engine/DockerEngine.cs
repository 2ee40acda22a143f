using Docker.DotNet;
using K3sLab.Lab.Host;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Engine;

/// <summary>
/// Makes sure a Docker engine answers before the lab uses one. These machines ship no engine, so when none
/// answers the lab installs Debian's <c>docker.io</c> (as root, with apt) and starts <c>dockerd</c> in the
/// background, logging to <see cref="DaemonLogPath"/>. Idempotent: when an engine answers, it costs one ping.
/// </summary>
public sealed partial class DockerEngine
{
    /// <summary>Where the daemon the lab starts writes its log.</summary>
    public const string DaemonLogPath = "/var/log/k3slab/dockerd.log";

    private const string DefaultSocket = "unix:///var/run/docker.sock";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public DockerEngine(ILogger logger, TimeProvider? time = null)
    {
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The engine endpoint: <c>DOCKER_HOST</c> when set, else the default Unix socket.</summary>
    public static Uri Endpoint => new(Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : DefaultSocket);

    /// <summary>A client for <see cref="Endpoint"/>; the caller disposes it.</summary>
    public static DockerClient CreateClient() => new DockerClientBuilder().WithEndpoint(Endpoint).Build();

    /// <summary>Returns once an engine answers at <see cref="Endpoint"/>, installing and starting one if needed.</summary>
    /// <exception cref="LabSetupException">No engine can be had; the message says why and what to do.</exception>
    public async Task EnsureRunningAsync(CancellationToken cancellationToken)
    {
        if (await PingAsync(cancellationToken) is { } version)
        {
            Log.EngineReachable(_logger, Endpoint, version);
            return;
        }

        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host && host != DefaultSocket)
        {
            throw new LabSetupException($"DOCKER_HOST={host} does not answer: start that Docker engine, or unset DOCKER_HOST so k3slab can start a local one.");
        }

        var dockerd = HostCommand.Which("dockerd") ?? await InstallAsync(cancellationToken);
        await StartDaemonAsync(dockerd, cancellationToken);
    }

    /// <summary>
    /// Asks the engine for its version. Clients in this process that default to a newer API than the engine speaks
    /// (Testcontainers asks for 1.44; Debian bookworm's engine serves up to 1.41) are pinned to the engine's API
    /// through <c>DOCKER_API_VERSION</c>, unless the user set it.
    /// </summary>
    private static async Task<string?> PingAsync(CancellationToken cancellationToken)
    {
        if (Endpoint.Scheme == "unix" && !File.Exists(Endpoint.LocalPath))
        {
            return null;
        }

        try
        {
            using var client = new DockerClientBuilder().WithEndpoint(Endpoint).WithTimeout(TimeSpan.FromSeconds(5)).Build();
            var version = await client.System.GetVersionAsync(cancellationToken);
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_API_VERSION")) && !string.IsNullOrEmpty(version.APIVersion))
            {
                Environment.SetEnvironmentVariable("DOCKER_API_VERSION", version.APIVersion);
            }

            return $"{version.Version}, API {version.APIVersion}";
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException or DockerApiException or System.Net.Sockets.SocketException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task<string> InstallAsync(CancellationToken cancellationToken)
    {
        Log.Installing(_logger);
        var dockerd = await AptPackages.EnsureAsync("dockerd", ["docker.io"], "No Docker engine is running, and starting one", cancellationToken);
        Log.Installed(_logger, dockerd);
        return dockerd;
    }

    private async Task StartDaemonAsync(string dockerd, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new LabSetupException("dockerd is installed but not running, and starting it needs root: start the Docker service (sudo systemctl start docker, or sudo dockerd &) and run again.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(DaemonLogPath)!);
        RemoveStalePidFile();
        Log.Starting(_logger, DaemonLogPath);

        // setsid detaches the daemon from this process group, so it outlives the command that started it.
        var start = await HostCommand.RunAsync(
            "/bin/sh",
            ["-c", "setsid \"$0\" --host=unix:///var/run/docker.sock >>\"$1\" 2>&1 </dev/null & echo $!", dockerd, DaemonLogPath],
            cancellationToken);
        if (!start.Succeeded || !int.TryParse(start.StandardOutput.Trim(), out var pid))
        {
            throw new LabSetupException($"Could not launch dockerd ({start.Tail()}); see {DaemonLogPath}.");
        }

        var deadline = _time.GetUtcNow() + StartDeadline;
        while (_time.GetUtcNow() < deadline)
        {
            if (await PingAsync(cancellationToken) is { } version)
            {
                Log.Started(_logger, pid, version);
                return;
            }

            if (!Directory.Exists($"/proc/{pid}"))
            {
                throw new LabSetupException($"dockerd exited right after it started: read its log at {DaemonLogPath} for the cause. Last lines:\n{LogTail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), _time, cancellationToken);
        }

        throw new LabSetupException($"dockerd did not answer within {StartDeadline.TotalSeconds:0} s: read its log at {DaemonLogPath} for the cause. Last lines:\n{LogTail()}");
    }

    private static void RemoveStalePidFile()
    {
        const string pidFile = "/var/run/docker.pid";
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && !Directory.Exists($"/proc/{pid}"))
        {
            File.Delete(pidFile);
        }
    }

    private static string LogTail()
    {
        if (!File.Exists(DaemonLogPath))
        {
            return "(no log written)";
        }

        var lines = File.ReadAllLines(DaemonLogPath);
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 10)));
    }
}
