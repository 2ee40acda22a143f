using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>Bad input to the real <c>k3s server</c> binary: one clear sentence and exit code 1, and nothing served.</summary>
[Trait("Category", "Conformance")]
public sealed class ServerCommandLineTests(PublishedRuntime k3s) : IClassFixture<PublishedRuntime>, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("k3slab-cli-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData("--node-ip 1.2.3", "--node-ip 1.2.3 is not an IPv4 or IPv6 address")]
    [InlineData("--write-kubeconfig-mode 999", "--write-kubeconfig-mode 999 is not an octal file mode such as 600 or 644")]
    [InlineData("--https-listen-port 70000", "--https-listen-port 70000 is not a TCP port (1-65535)")]
    [InlineData("--token K10abc::server:x", "--token: invalid token CA hash length")]
    [InlineData("--token-file /nonexistent/token", "--token-file /nonexistent/token does not exist")]
    [InlineData("--node-label nolabel", "--node-label nolabel: expected key=value")]
    [InlineData("--node-taint dedicated=gpu", "--node-taint dedicated=gpu: expected key=value:Effect or key:Effect")]
    [InlineData("--node-external-ip 1.2.3", "--node-external-ip 1.2.3 is not an IPv4 or IPv6 address")]
    public async Task Server_BadFlagValue_ExitsOneWithTheReason(string flag, string message)
    {
        var (exit, output) = await k3s.RunAsync(TimeSpan.FromSeconds(30), [.. Isolated(), .. flag.Split(' ')]);

        exit.Should().Be(1, output);
        output.Should().Contain(message).And.NotContain("   at ", "no stack trace reaches the user");
    }

    [Fact]
    public async Task Server_UnknownFlag_IsRefusedByName()
    {
        var (exit, output) = await k3s.RunAsync(TimeSpan.FromSeconds(30), "server", "--no-such-flag");

        exit.Should().NotBe(0);
        output.Should().Contain("--no-such-flag");
    }

    private string[] Isolated() =>
        ["server", "--disable-agent", "--data-dir", Path.Combine(_dir.FullName, "data"), "--write-kubeconfig", Path.Combine(_dir.FullName, "k3s.yaml"), "--bind-address", "127.0.0.1"];
}
