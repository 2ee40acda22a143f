using System.Globalization;
using System.Net;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Cli;

/// <summary>
/// <c>--kubelet-arg</c> (repeatable, <c>key=value</c> as k3s passes them to the kubelet): this build's kubelet takes
/// <c>address</c> and <c>port</c>, where its API listens; any other key is refused by name rather than ignored.
/// </summary>
/// <param name="Address">The API's address; null means the node IP.</param>
/// <param name="Port">The API's port.</param>
internal sealed record KubeletArgs(IPAddress? Address, int Port)
{
    public static KubeletArgs Parse(IEnumerable<string> args)
    {
        IPAddress? address = null;
        var port = Kubelet.KubeletSettings.DefaultPort;
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
                default:
                    throw new BootstrapException($"--kubelet-arg {arg} is not supported by this build: its kubelet takes only address=<ip> and port=<port>");
            }
        }

        return new KubeletArgs(address, port);
    }
}
