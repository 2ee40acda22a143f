using System.Net;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Tls;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class CertificateAuthorityTests
{
    [Fact]
    public void Create_NamesCaLikeK3s_AndMarksItAsCa()
    {
        using var ca = CertificateAuthority.Create("k3s-server-ca");

        ca.Certificate.Subject.Should().MatchRegex(@"^CN=k3s-server-ca@\d+$");
        ca.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority.Should().BeTrue();
        ca.Certificate.NotAfter.Should().BeAfter(DateTime.UtcNow.AddYears(9));
    }

    [Fact]
    public void IssueServing_CarriesRequestedNamesAndChainsToIssuer()
    {
        using var ca = CertificateAuthority.Create("k3s-server-ca");
        using var other = CertificateAuthority.Create("k3s-server-ca");
        IPAddress[] ips = [IPAddress.Loopback, IPAddress.Parse("10.43.0.1"), IPAddress.IPv6Loopback];

        using var serving = ca.IssueServing("kube-apiserver", ClusterTls.KubernetesServiceNames("cluster.local").Append("server-0"), ips);

        var san = serving.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        san.EnumerateDnsNames().Should().Contain(["kubernetes.default.svc.cluster.local", "localhost", "server-0"]);
        san.EnumerateIPAddresses().Should().BeEquivalentTo(ips);
        serving.HasPrivateKey.Should().BeTrue();
        ca.Verifies(serving).Should().BeTrue();
        other.Verifies(serving).Should().BeFalse();
    }

    [Fact]
    public void IssueClient_PutsUserInCnAndGroupsInO()
    {
        using var ca = CertificateAuthority.Create("k3s-client-ca");

        using var client = ca.IssueClient("system:node:agent-1", ["system:nodes", "team, with comma"]);

        client.SubjectName.EnumerateRelativeDistinguishedNames()
            .Select(r => (r.GetSingleElementType().FriendlyName, r.GetSingleElementValue()))
            .Should().BeEquivalentTo([("CN", "system:node:agent-1"), ("O", "system:nodes"), ("O", "team, with comma")]);
        var usage = client.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages;
        usage.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value).Should().Equal("1.3.6.1.5.5.7.3.2");
    }

    [Fact]
    public void Constructor_CertificateWithoutKey_IsRefused()
    {
        using var ca = CertificateAuthority.Create("k3s-server-ca");
        using var publicOnly = X509CertificateLoader.LoadCertificate(ca.Certificate.RawData);

        var create = () => new CertificateAuthority(publicOnly);

        create.Should().Throw<ArgumentException>().WithMessage("a certificate authority needs its private key*");
    }
}
