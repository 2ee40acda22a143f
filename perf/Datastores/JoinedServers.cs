using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using K3sLab.Perf.AgentLb;
using K3sLab.Perf.Api;

namespace K3sLab.Perf.Datastores;

/// <summary>
/// Servers joined to a <c>--cluster-init</c> server under test by k3s's own flow (<c>--server</c> and the token),
/// each on the next loopback address of the first's /24, so the first stands in a 3-server HA control plane. Ready
/// once <c>/db/info</c> on the first lists every one of them as a voter. Killed on dispose.
/// </summary>
internal sealed class JoinedServers : IAsyncDisposable
{
    private static readonly TimeSpan JoinDeadline = TimeSpan.FromSeconds(120);

    private readonly List<NodeUnderTest> _servers;
    private readonly DirectoryInfo _root;

    private JoinedServers(List<NodeUnderTest> servers, DirectoryInfo root)
    {
        _servers = servers;
        _root = root;
    }

    public static async Task<JoinedServers> JoinAsync(string k3s, ApiServerProcess first, int count, CancellationToken ct)
    {
        var token = (await File.ReadAllTextAsync(Path.Combine(first.DataDirectory, "server", "token"), ct)).Trim();
        var root = Directory.CreateTempSubdirectory("k3slab-perf-joined-");
        var prefix = first.Address.GetAddressBytes()[..3];
        var servers = new List<NodeUnderTest>();
        var joined = new JoinedServers(servers, root);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var address = new IPAddress([.. prefix, (byte)(first.Address.GetAddressBytes()[3] + 1 + i)]);
                var name = string.Create(CultureInfo.InvariantCulture, $"joined-{i + 1}");
                var server = new NodeUnderTest(name, address, k3s,
                [
                    "server", "--disable-agent", "--disable=coredns", "--data-dir", Path.Combine(root.FullName, name), "--node-name", name,
                    "--node-ip", address.ToString(), "--bind-address", address.ToString(),
                    "--write-kubeconfig", Path.Combine(root.FullName, name + ".yaml"),
                    "--server", first.BaseAddress.ToString().TrimEnd('/'), "--token", token,
                ]);
                servers.Add(server);
                server.Start();
            }

            await WaitForVotersAsync(first, count + 1, servers, ct);
            return joined;
        }
        catch
        {
            await joined.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        _root.Delete(recursive: true);
    }

    private static async Task WaitForVotersAsync(ApiServerProcess first, int voters, List<NodeUnderTest> servers, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } }) { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        var last = "nothing yet";
        while (clock.Elapsed < JoinDeadline)
        {
            if (servers.FirstOrDefault(s => !s.IsRunning) is { } exited)
            {
                throw new InvalidOperationException($"{exited.Name} exited while joining:\n{string.Join('\n', exited.Log.Split('\n').TakeLast(20))}");
            }

            try
            {
                // /db/info answers a caller on this machine without credentials, as k3s's does.
                last = await http.GetStringAsync(new Uri(first.BaseAddress, "/db/info"), ct);
                var members = JsonNode.Parse(last)?["members"]?.AsArray() ?? [];
                if (members.Count(m => m?["isLearner"]?.GetValue<bool>() == false) == voters)
                {
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                last = "/db/info timed out";
            }

            await Task.Delay(200, ct);
        }

        throw new TimeoutException($"the joined servers were not all voters within {JoinDeadline.TotalSeconds:0} s; /db/info said: {last}");
    }
}
