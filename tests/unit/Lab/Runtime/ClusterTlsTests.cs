using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Tls;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Integration")]
public sealed class ClusterTlsTests : IDisposable
{
    private static readonly string[] Names = [.. ClusterTls.KubernetesServiceNames("cluster.local"), "server-0"];
    private static readonly IPAddress[] Addresses = [IPAddress.Loopback, IPAddress.Parse("10.43.0.1")];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("k3slab-tls-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Ensure_SecondCall_ReusesEveryFile()
    {
        string first;
        using (var tls = ClusterTls.Ensure(_dir.FullName, Names, Addresses))
        {
            first = tls.ServerCa.Certificate.Thumbprint + tls.Serving.Thumbprint + tls.Admin.Thumbprint + tls.KubeletClient.Thumbprint + tls.Controller.Thumbprint + tls.Scheduler.Thumbprint + tls.KubeProxy.Thumbprint;
        }

        using var again = ClusterTls.Ensure(_dir.FullName, Names, Addresses);

        (again.ServerCa.Certificate.Thumbprint + again.Serving.Thumbprint + again.Admin.Thumbprint + again.KubeletClient.Thumbprint + again.Controller.Thumbprint + again.Scheduler.Thumbprint + again.KubeProxy.Thumbprint).Should().Be(first);
        Directory.GetFiles(_dir.FullName).Select(Path.GetFileName).Should().BeEquivalentTo(
            "server-ca.crt", "server-ca.key", "client-ca.crt", "client-ca.key", "request-header-ca.crt", "request-header-ca.key",
            "serving-kube-apiserver.crt", "serving-kube-apiserver.key", "client-admin.crt", "client-admin.key",
            "client-kube-apiserver.crt", "client-kube-apiserver.key", "client-controller.crt", "client-controller.key",
            "client-scheduler.crt", "client-scheduler.key", "client-kube-proxy.crt", "client-kube-proxy.key");
        File.GetUnixFileMode(Path.Combine(_dir.FullName, "server-ca.key")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public void Ensure_ControllerSchedulerAndKubeProxy_AreTheirUsersWithoutGroups()
    {
        using var tls = ClusterTls.Ensure(_dir.FullName, Names, Addresses);
        tls.Controller.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: false).Should().Be("system:kube-controller-manager");
        tls.Scheduler.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: false).Should().Be("system:kube-scheduler");
        tls.Controller.Subject.Should().NotContain("O=");
        tls.ClientCa.Verifies(tls.Controller).Should().BeTrue();
        tls.ClientCa.Verifies(tls.Scheduler).Should().BeTrue();
        tls.Scheduler.HasPrivateKey.Should().BeTrue();
        tls.KubeProxy.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: false).Should().Be("system:kube-proxy");
        tls.KubeProxy.Subject.Should().NotContain("O=");
        tls.ClientCa.Verifies(tls.KubeProxy).Should().BeTrue();
        tls.KubeProxy.HasPrivateKey.Should().BeTrue();
    }

    [Fact]
    public void Ensure_KubeletClient_IsTheApiServersIdentityFromTheClientCa()
    {
        using var tls = ClusterTls.Ensure(_dir.FullName, Names, Addresses);
        tls.KubeletClient.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: false).Should().Be("system:kube-apiserver");
        tls.KubeletClient.Subject.Should().Contain("O=system:masters");
        tls.KubeletClient.HasPrivateKey.Should().BeTrue();
        tls.ClientCa.Verifies(tls.KubeletClient).Should().BeTrue();
    }

    [Fact]
    public void Ensure_NewTlsSan_ReissuesServingButKeepsCa()
    {
        string caBefore, servingBefore;
        using (var tls = ClusterTls.Ensure(_dir.FullName, Names, Addresses))
        {
            caBefore = tls.ServerCa.Certificate.Thumbprint;
            servingBefore = tls.Serving.Thumbprint;
        }

        using var widened = ClusterTls.Ensure(_dir.FullName, [.. Names, "api.example.test"], [.. Addresses, IPAddress.Parse("172.28.0.10")]);

        widened.ServerCa.Certificate.Thumbprint.Should().Be(caBefore);
        widened.Serving.Thumbprint.Should().NotBe(servingBefore);
        ClusterTls.Covers(widened.Serving, ["api.example.test"], [IPAddress.Parse("172.28.0.10")]).Should().BeTrue();
    }

    [Fact]
    public void Ensure_CorruptCaFile_FailsInsteadOfReplacingIt()
    {
        using (ClusterTls.Ensure(_dir.FullName, Names, Addresses))
        {
        }

        var ca = Path.Combine(_dir.FullName, "server-ca.crt");
        File.WriteAllText(ca, "not a certificate");

        var ensure = () => ClusterTls.Ensure(_dir.FullName, Names, Addresses);

        ensure.Should().Throw<CryptographicException>();
        File.ReadAllText(ca).Should().Be("not a certificate", "a CA is never silently replaced: every issued certificate depends on it");
    }

    [Fact]
    public async Task Certificates_MutualTlsHandshakeOnLoopback_AcceptsOnlyClusterClients()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tls = ClusterTls.Ensure(_dir.FullName, Names, Addresses);
        using var strangerCa = CertificateAuthority.Create("k3s-client-ca");
        using var stranger = strangerCa.IssueClient("system:admin", ["system:masters"]);

        (await HandshakeAsync(tls, tls.Admin, ct)).Should().Be("CN=system:admin, O=system:masters");
        (await HandshakeAsync(tls, stranger, ct)).Should().Be("rejected");
    }

    [Fact]
    public void Kubeconfig_WrittenForAdmin_LoadsInKubernetesClient()
    {
        using var tls = ClusterTls.Ensure(_dir.FullName, Names, Addresses);
        var path = Path.Combine(_dir.FullName, "k3s.yaml");

        Kubeconfig.Write(path, Kubeconfig.Render("https://127.0.0.1:6443", tls.ServerCa.Certificate, tls.Admin));

        var config = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        config.Host.Should().Be("https://127.0.0.1:6443");
        config.CurrentContext.Should().Be("default");
        config.SslCaCerts.Cast<X509Certificate2>().Single().Thumbprint.Should().Be(tls.ServerCa.Certificate.Thumbprint);
        static string Pem(string base64) => System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(base64));
        X509Certificate2.CreateFromPem(Pem(config.ClientCertificateData), Pem(config.ClientCertificateKeyData)).Thumbprint.Should().Be(tls.Admin.Thumbprint);
        File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Runs one TLS handshake; returns the client subject the server accepted, or "rejected".</summary>
    private static async Task<string> HandshakeAsync(ClusterTls tls, X509Certificate2 clientCertificate, CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var server = Task.Run(
            async () =>
            {
                using var socket = await listener.AcceptTcpClientAsync(ct);
                await using var ssl = new SslStream(socket.GetStream());
                try
                {
                    await ssl.AuthenticateAsServerAsync(
                        new SslServerAuthenticationOptions
                        {
                            ServerCertificate = tls.Serving,
                            ClientCertificateRequired = true,
                            RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && tls.ClientCa.Verifies(c),
                        },
                        ct);
                    return ssl.RemoteCertificate!.Subject;
                }
                catch (AuthenticationException)
                {
                    return "rejected";
                }
            },
            ct);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, ct);
        await using var clientSsl = new SslStream(client.GetStream());
        try
        {
            await clientSsl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "server-0",
                    ClientCertificates = [clientCertificate],
                    RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                        cert is X509Certificate2 c && tls.ServerCa.Verifies(c) && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None,
                },
                ct);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            // The server aborts the handshake when it refuses the client certificate.
        }

        return await server;
    }
}
