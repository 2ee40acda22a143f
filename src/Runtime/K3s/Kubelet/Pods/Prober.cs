using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Runs one probe attempt as the kubelet does: <c>exec</c> runs the command with the container's environment and
/// succeeds on exit 0; <c>httpGet</c> succeeds on a status from 200 to 399 (host defaults to the pod IP, a named
/// port is looked up in the container's ports); <c>tcpSocket</c> succeeds when a connection opens. Each attempt is
/// bounded by the probe's timeout, which counts as a failure. Thread-safe.
/// </summary>
internal sealed class Prober : IProber, IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    public async Task<bool> ProbeAsync(ProbeSpec spec, JsonObject container, IReadOnlyDictionary<string, string> environment, string podIp, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(spec.Timeout);
        try
        {
            if (spec.Handler["exec"]?["command"] is JsonArray command)
            {
                return await ExecAsync([.. command.Select(c => c?.GetValue<string>() ?? string.Empty)], environment, timeout.Token);
            }

            if (spec.Handler["httpGet"] is JsonObject http)
            {
                var host = http["host"]?.GetValue<string>() is { Length: > 0 } h ? h : podIp;
                var scheme = (http["scheme"]?.GetValue<string>() ?? "HTTP").ToLowerInvariant();
                var path = http["path"]?.GetValue<string>() ?? "/";
                using var response = await _http.GetAsync(new Uri($"{scheme}://{host}:{Port(http["port"], container)}{(path.StartsWith('/') ? path : "/" + path)}"), timeout.Token);
                return (int)response.StatusCode is >= 200 and < 400;
            }

            if (spec.Handler["tcpSocket"] is JsonObject tcp)
            {
                using var client = new TcpClient();
                await client.ConnectAsync(tcp["host"]?.GetValue<string>() is { Length: > 0 } th ? th : podIp, Port(tcp["port"], container), timeout.Token);
                return true;
            }

            return false;
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or SocketException or IOException or ContainerStartException or FormatException && !ct.IsCancellationRequested)
        {
            return false;
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

    private static async Task<bool> ExecAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        if (argv.Count == 0 || ProcessRuntime.Executable(argv[0], environment.GetValueOrDefault("PATH") ?? string.Empty) is not { } program)
        {
            return false;
        }

        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(CancellationToken.None), process.StandardError.ReadToEndAsync(CancellationToken.None));
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await drain;
        return process.ExitCode == 0;
    }
}
