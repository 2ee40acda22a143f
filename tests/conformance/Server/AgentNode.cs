using System.Globalization;
using System.Net;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// One <c>k3s agent</c> process of a test cluster: its own loopback node IP, its own load-balancer port (k3s's 6444
/// is per machine, and these agents share one) and its own node-password file (k3s's is
/// <c>/etc/rancher/node/password</c>, one per machine; <c>K3SLAB_NODE_PASSWORD_FILE</c> moves it).
/// </summary>
internal sealed class AgentNode(string name, IPAddress address, string root, int loadBalancerPort) : NodeProcess(name, address, root)
{
    public int LoadBalancerPort { get; } = loadBalancerPort;

    /// <summary>The agent's load balancer, which kubectl can use as its server as the kubelet does.</summary>
    public string LoadBalancerUrl => $"https://127.0.0.1:{LoadBalancerPort}";

    public string PasswordFile => Path.Combine(Folder, "node-password");

    /// <summary>Starts <c>k3s agent --config &lt;file&gt;</c>: the server and token come from the file.</summary>
    public void StartWithConfig(string configFile) => StartProcess(
        [
            "agent", "--config", configFile, "--data-dir", DataDir, "--node-name", Name,
            "--node-ip", Address.ToString(), "--lb-server-port", LoadBalancerPort.ToString(CultureInfo.InvariantCulture),
        ],
        new Dictionary<string, string> { ["K3SLAB_NODE_PASSWORD_FILE"] = PasswordFile });

    /// <summary>Starts <c>k3s agent</c> joining <paramref name="serverUrl"/> with <paramref name="token"/>; does not wait.</summary>
    public void Start(string serverUrl, string token, params string[] flags) => StartProcess(
        [
            "agent", "--server", serverUrl, "--token", token, "--data-dir", DataDir, "--node-name", Name,
            "--node-ip", Address.ToString(), "--lb-server-port", LoadBalancerPort.ToString(CultureInfo.InvariantCulture), .. flags,
        ],
        new Dictionary<string, string> { ["K3SLAB_NODE_PASSWORD_FILE"] = PasswordFile });
}
