using System.Net.Sockets;
using System.Text;
using K3sLab.Lab.Cluster;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Lab;

/// <summary>What the lab's Service tests share: applying a manifest to a cluster, and one HTTP GET from this machine.</summary>
internal static class LabWorkloads
{
    /// <summary>Applies <paramref name="manifest"/> (YAML) with kubectl 1.33 and asserts it was accepted.</summary>
    public static async Task ApplyAsync(RunningCluster cluster, string manifest, CancellationToken ct)
    {
        var file = Path.Combine(Path.GetTempPath(), $"k3slab-manifest-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, manifest, ct);
        try
        {
            var applied = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "apply", "-f", file);
            applied.ExitCode.Should().Be(0, applied.Stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// An HTTP/1.0 GET of <c>/</c> at <paramref name="host"/>:<paramref name="port"/> within 5 s: the body's last line,
    /// or the error's message when it could not be had (so a caller can wait for the answer it expects).
    /// </summary>
    public static async Task<string> GetLastLineAsync(string host, int port, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await client.ConnectAsync(host, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), timeout.Token);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var body = await reader.ReadToEndAsync(timeout.Token);
            return body.Split('\n', StringSplitOptions.RemoveEmptyEntries) is [.., var last] ? last.Trim() : "(empty answer)";
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return e.Message;
        }
    }
}
