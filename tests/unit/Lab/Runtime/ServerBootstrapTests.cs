using System.Net;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Integration")]
public sealed class ServerBootstrapTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("k3slab-datadir-");

    public void Dispose() => _root.Delete(recursive: true);

    private DataDir Dir => new(_root.FullName);

    [Fact]
    public void Run_FreshDataDir_WritesK3sLayoutAndSecureTokens()
    {
        var result = Run(token: null);

        var token = File.ReadAllText(Dir.TokenFile).Trim();
        token.Should().MatchRegex("^K10[0-9a-f]{64}::server:[0-9a-f]{32}$");
        token.Should().Be(result.ServerToken.ToString());
        JoinToken.Parse(token).Trusts(File.ReadAllBytes(Path.Combine(Dir.ServerTls, "server-ca.crt"))).Should().BeTrue();
        new FileInfo(Dir.NodeTokenFile).LinkTarget.Should().Be("token");
        new FileInfo(Dir.AgentTokenFile).LinkTarget.Should().Be("token");
        File.ReadAllLines(Dir.PasswdFile).Should().Equal(
            $"{result.ServerToken.Password},node,node,k3s:agent",
            $"{result.ServerToken.Password},server,server,k3s:server");
        File.GetUnixFileMode(Dir.TokenFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.ReadAllText(Dir.AdminKubeconfig).Should().Contain("server: https://127.0.0.1:6443");
    }

    [Fact]
    public void Run_Again_KeepsTokensAndCertificates()
    {
        var first = Run(token: null);
        var firstCa = first.Tls.ServerCa.Certificate.Thumbprint;
        first.Tls.Dispose();

        var second = Run(token: null);

        second.ServerToken.Should().Be(first.ServerToken);
        second.Tls.ServerCa.Certificate.Thumbprint.Should().Be(firstCa);
    }

    [Fact]
    public void Run_ShortToken_BecomesSecureTokenOnDisk()
    {
        var result = Run(token: "my-cluster-secret");

        result.ServerToken.Password.Should().Be("my-cluster-secret");
        File.ReadAllText(Dir.TokenFile).Trim().Should().EndWith("::server:my-cluster-secret");
    }

    [Fact]
    public void Run_AgentToken_GetsItsOwnFileAndPasswdEntry()
    {
        var result = Run(token: "server-secret", agentToken: "agent-secret");

        new FileInfo(Dir.AgentTokenFile).LinkTarget.Should().BeNull();
        File.ReadAllText(Dir.AgentTokenFile).Trim().Should().Be(result.AgentToken.ToString()).And.EndWith("::node:agent-secret");
        File.ReadAllLines(Dir.PasswdFile)[0].Should().Be("agent-secret,node,node,k3s:agent");
    }

    [Fact]
    public void Run_RestartWithoutAgentToken_KeepsTheClustersAgentToken()
    {
        // A restart (or a joining server that brought the cluster's passwd file) without --agent-token must not
        // silently replace the agent password with the server password: joined agents would be locked out.
        var first = Run(token: "server-secret", agentToken: "agent-secret");
        var again = Run(token: null);

        again.AgentToken.Should().Be(first.AgentToken);
        File.ReadAllText(Dir.AgentTokenFile).Trim().Should().EndWith("::node:agent-secret");
        File.ReadAllLines(Dir.PasswdFile)[0].Should().Be("agent-secret,node,node,k3s:agent");
    }

    [Fact]
    public void Run_TokenWithForeignCaHash_IsRefusedWithK3sMessage()
    {
        var foreign = $"K10{new string('a', 64)}::server:secret";

        var run = () => Run(token: foreign);

        run.Should().Throw<BootstrapException>().WithMessage("--token: token CA hash does not match the Cluster CA certificate hash: aaaa*");
        File.Exists(Dir.TokenFile).Should().BeFalse();
    }

    [Fact]
    public void Run_DifferentTokenOnRestart_IsRefusedAndLosesNothing()
    {
        Run(token: "original").Tls.Dispose();
        var before = File.ReadAllText(Dir.TokenFile);

        var run = () => Run(token: "another");

        run.Should().Throw<BootstrapException>().WithMessage("the --token given does not match the token in *");
        File.ReadAllText(Dir.TokenFile).Should().Be(before);
    }

    [Theory]
    [InlineData("K10abc::server:x", "--token: invalid token CA hash length")]
    [InlineData("K10nothing", "--token: invalid token format")]
    public void Run_MalformedToken_IsOneClearSentence(string token, string message)
    {
        var run = () => Run(token);

        run.Should().Throw<BootstrapException>().WithMessage(message);
    }

    [Theory]
    [InlineData("10.43.0.0/16", "10.43.0.1")]
    [InlineData("10.0.0.255/32", "10.0.1.0")]
    [InlineData("fd00:43::/112", "fd00:43::1")]
    public void FirstServiceAddress_IsNetworkPlusOne(string cidr, string expected)
    {
        ServerBootstrap.FirstServiceAddress(cidr).Should().Be(IPAddress.Parse(expected));
    }

    private ServerBootstrapResult Run(string? token, string? agentToken = null) =>
        ServerBootstrap.Run(new ServerBootstrapOptions(Dir, token, agentToken, "server-0", [IPAddress.Parse("172.28.0.2")], ["api.example.test"]));
}
