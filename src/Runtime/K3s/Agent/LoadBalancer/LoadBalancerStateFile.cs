using System.Text.Json;
using System.Text.Json.Serialization;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Agent.LoadBalancer;

/// <summary>The persisted server list, in k3s's shape: <c>{"ServerURL": "https://default:6443", "ServerAddresses": [...]}</c>.</summary>
internal sealed record LoadBalancerState(
    [property: JsonPropertyName("ServerURL")] string ServerUrl,
    [property: JsonPropertyName("ServerAddresses")] IReadOnlyList<string> ServerAddresses);

/// <summary>
/// Reads and writes <c>agent/etc/k3s-agent-load-balancer.json</c>. The file is only a head start after a restart:
/// it is used only when it was written for the same <c>--server</c> URL, and a file that is missing, unreadable,
/// malformed or empty is ignored (with the reason) rather than trusted, so a stale file can never wedge the agent
/// (k3s#11349). Writes are atomic.
/// </summary>
internal static class LoadBalancerStateFile
{
    /// <summary>The saved addresses, or an empty list and the reason they were not used.</summary>
    public static (IReadOnlyList<string> Addresses, string? Ignored) Load(string path, string serverUrl)
    {
        if (!File.Exists(path))
        {
            return ([], null);
        }

        LoadBalancerState? state;
        try
        {
            state = JsonSerializer.Deserialize(File.ReadAllText(path), LoadBalancerJsonContext.Default.LoadBalancerState);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return ([], $"{path} is not a valid load balancer state file ({e.Message}); starting from the default server");
        }

        if (state?.ServerAddresses is null || state.ServerUrl is null)
        {
            return ([], $"{path} has no server list; starting from the default server");
        }

        if (state.ServerUrl != serverUrl)
        {
            return ([], $"{path} was written for {state.ServerUrl}, not {serverUrl}; starting from the default server");
        }

        var addresses = state.ServerAddresses.Where(a => a is not null && IsHostPort(a)).Distinct(StringComparer.Ordinal).ToList();
        return addresses.Count == 0 ? ([], $"{path} lists no usable addresses; starting from the default server") : (addresses, null);
    }

    public static void Save(string path, string serverUrl, IEnumerable<string> addresses) =>
        AtomicFile.Write(path, JsonSerializer.Serialize(new LoadBalancerState(serverUrl, [.. addresses]), LoadBalancerJsonContext.Default.LoadBalancerState), AtomicFile.WorldReadable);

    private static bool IsHostPort(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address[(colon + 1)..], out var port) && port is > 0 and < 65536;
    }
}

/// <summary>Source-generated JSON for the state file (the runtime is NativeAOT).</summary>
[JsonSerializable(typeof(LoadBalancerState))]
internal sealed partial class LoadBalancerJsonContext : JsonSerializerContext;
