using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Runs one probe attempt as the kubelet does: <c>exec</c> runs the command with the container's environment and
/// succeeds on exit 0; <c>httpGet</c> succeeds on a status from 200 to 399 (host defaults to the pod IP, a named
/// port is looked up in the container's ports); <c>tcpSocket</c> succeeds when a connection opens. Each attempt is
/// bounded by the probe's timeout, which counts as a failure. A failure says why in the kubelet's words (the command's
/// output, the HTTP status, Go's dial error), for the <c>Unhealthy</c> event. Thread-safe.
/// </summary>
internal sealed class Prober : IProber, IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    public async Task<ProbeResult> ProbeAsync(ProbeSpec spec, JsonObject container, IReadOnlyDictionary<string, string> environment, string podIp, int? containerPid, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(spec.Timeout);
        try
        {
            if (spec.Handler["exec"]?["command"] is JsonArray command)
            {
                return await ExecAsync([.. command.Select(c => c?.GetValue<string>() ?? string.Empty)], environment, container["workingDir"]?.GetValue<string>(), containerPid, timeout.Token, ct);
            }

            if (spec.Handler["httpGet"] is JsonObject http)
            {
                return await HttpGetAsync(http, container, podIp, timeout.Token, ct);
            }

            if (spec.Handler["tcpSocket"] is JsonObject tcp)
            {
                var host = tcp["host"]?.GetValue<string>() is { Length: > 0 } th ? th : podIp;
                var port = Port(tcp["port"], container);
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(host, port, timeout.Token);
                    return ProbeResult.Pass;
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    return ProbeResult.Fail($"dial tcp {host}:{port}: {DialError(e)}");
                }
            }

            return ProbeResult.Fail("missing probe handler");
        }
        catch (FormatException e)
        {
            return ProbeResult.Fail(e.Message);
        }
        catch (Exception e) when (e is ContainerStartException or IOException)
        {
            return ProbeResult.Fail(e.Message);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A port number, or a port name from the container's <c>ports</c>.</summary>
    private static int Port(JsonNode? port, JsonObject container)
    {
        var text = port?.ToString() ?? string.Empty;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        return (container["ports"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(p => p["name"]?.GetValue<string>() == text)?["containerPort"] is JsonValue v
            && int.TryParse(v.ToJsonString(), CultureInfo.InvariantCulture, out var named) ? named : throw new FormatException($"port {text} is not a number or a named container port");
    }

    /// <summary>A GET that passes on 200-399, failing with the status or Go's error text, as the kubelet's HTTP prober does.</summary>
    private async Task<ProbeResult> HttpGetAsync(JsonObject http, JsonObject container, string podIp, CancellationToken timeout, CancellationToken ct)
    {
        var host = http["host"]?.GetValue<string>() is { Length: > 0 } h ? h : podIp;
        var scheme = (http["scheme"]?.GetValue<string>() ?? "HTTP").ToLowerInvariant();
        var path = http["path"]?.GetValue<string>() ?? "/";
        var port = Port(http["port"], container);
        var url = $"{scheme}://{host}:{port}{(path.StartsWith('/') ? path : "/" + path)}";
        try
        {
            using var response = await _http.GetAsync(new Uri(url), timeout);
            var code = (int)response.StatusCode;
            return code is >= 200 and < 400 ? ProbeResult.Pass : ProbeResult.Fail($"HTTP probe failed with statuscode: {code}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ProbeResult.Fail($"Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException socket)
        {
            return ProbeResult.Fail($"Get \"{url}\": dial tcp {host}:{port}: {DialError(socket)}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return ProbeResult.Fail($"Get \"{url}\": {e.Message}");
        }
    }

    /// <summary>Go's words for a failed dial: <c>connect: connection refused</c>, <c>i/o timeout</c>.</summary>
    private static string DialError(Exception e) => e switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connect: connection refused",
        SocketException { SocketErrorCode: SocketError.HostUnreachable } => "connect: no route to host",
        SocketException { SocketErrorCode: SocketError.NetworkUnreachable } => "connect: network is unreachable",
        SocketException s => $"connect: {s.Message.ToLowerInvariant()}",
        _ => "i/o timeout",
    };

    /// <summary>Runs the command; passes on exit 0. The output is what it printed (stdout, then stderr).</summary>
    /// <remarks>
    /// In a container that has a mount namespace of its own (it has volumes), the command runs there too, through
    /// <c>nsenter</c> in the container's working directory, so it sees the container's volumes (its service account
    /// token among them), as a runtime's exec does.
    /// </remarks>
    private static async Task<ProbeResult> ExecAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, string? workingDir, int? containerPid, CancellationToken timeout, CancellationToken ct)
    {
        var pid = containerPid is { } running && ExecProcess.HasOwnMountNamespace(running) ? running : (int?)null;
        var root = pid is { } p ? $"/proc/{p}/root" : string.Empty;
        if (argv.Count == 0 || ProcessRuntime.Executable(argv[0], environment.GetValueOrDefault("PATH") ?? string.Empty, root) is not { } program)
        {
            return ProbeResult.Fail(argv.Count == 0 ? "exec probe has no command" : $"exec: \"{argv[0]}\": executable file not found in $PATH");
        }

        var start = new ProcessStartInfo(pid is null ? program : ExecProcess.NsEnter) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (pid is { } inside)
        {
            foreach (var arg in (string[])[$"--mount=/proc/{inside}/ns/mnt", $"--wd={(string.IsNullOrEmpty(workingDir) ? "/" : workingDir)}", "--", program])
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

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return ProbeResult.Fail($"exec: \"{argv[0]}\": {e.Message}");
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                await process.WaitForExitAsync(timeout);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                if (!ct.IsCancellationRequested)
                {
                    return ProbeResult.Fail($"command \"{string.Join(' ', argv)}\" timed out");
                }

                throw;
            }

            var output = await stdout + await stderr;
            return process.ExitCode == 0 ? new ProbeResult(true, output) : ProbeResult.Fail(output);
        }
    }
}
