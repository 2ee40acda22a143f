using System.Globalization;
using System.Net;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Cli;

/// <summary>
/// <c>--kubelet-arg</c> (repeatable, <c>key=value</c> as k3s passes them to the kubelet): this build's kubelet takes
/// <c>address</c> and <c>port</c>, where its API listens, and <c>sync-frequency</c> (a Go duration, default 1m), how
/// often mounted config maps, secrets and projected volumes are written again; any other key is refused by name
/// rather than ignored.
/// </summary>
/// <param name="Address">The API's address; null means the node IP.</param>
/// <param name="Port">The API's port.</param>
internal sealed record KubeletArgs(IPAddress? Address, int Port)
{
    /// <summary>How often a pod's volumes are written again (<c>sync-frequency</c>).</summary>
    public TimeSpan SyncFrequency { get; init; } = Kubelet.KubeletSettings.DefaultSyncFrequency;

    public static KubeletArgs Parse(IEnumerable<string> args)
    {
        IPAddress? address = null;
        var port = Kubelet.KubeletSettings.DefaultPort;
        var sync = Kubelet.KubeletSettings.DefaultSyncFrequency;
        foreach (var arg in args)
        {
            var (key, value) = arg.TrimStart('-').Split('=', 2) is [var k, var v] ? (k, v) : (arg, string.Empty);
            switch (key)
            {
                case "address":
                    address = ServerCommand.ParseAddress("--kubelet-arg address", value);
                    break;
                case "port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536:
                    port = p;
                    break;
                case "port":
                    throw new BootstrapException($"--kubelet-arg port={value} is not a TCP port (1-65535)");
                case "sync-frequency" when GoDuration.TryParse(value, out var every) && every >= TimeSpan.FromSeconds(1):
                    sync = every;
                    break;
                case "sync-frequency":
                    throw new BootstrapException($"--kubelet-arg sync-frequency={value} is not a duration of at least 1s (e.g. 1m, 30s)");
                default:
                    throw new BootstrapException($"--kubelet-arg {arg} is not supported by this build: its kubelet takes only address=<ip>, port=<port> and sync-frequency=<duration>");
            }
        }

        return new KubeletArgs(address, port) { SyncFrequency = sync };
    }
}
