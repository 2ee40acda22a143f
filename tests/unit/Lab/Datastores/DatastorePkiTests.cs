using System.Net;
using System.Security.Cryptography.X509Certificates;
using K3sLab.Lab.Datastores;

namespace K3sLab.Lab.Tests.Datastores;

[Trait("Category", "Unit")]
public sealed class DatastorePkiTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly (string Name, IPAddress Address)[] Members =
        [("k3slab-c-etcd-0", IPAddress.Parse("172.28.0.3")), ("k3slab-c-etcd-1", IPAddress.Parse("172.28.0.4"))];

    [Fact]
    public void Create_MemberCertificates_ChainToTheCa_AndNameTheMemberItsAddressAndLoopback()
    {
        var pki = DatastorePki.Create("c", Members, Now);

        using var ca = X509Certificate2.CreateFromPem(pki.Ca.CertificatePem);
        ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority.Should().BeTrue();
        pki.Members.Keys.Should().BeEquivalentTo(["k3slab-c-etcd-0", "k3slab-c-etcd-1"]);
        using var member = X509Certificate2.CreateFromPem(pki.Members["k3slab-c-etcd-1"].CertificatePem, pki.Members["k3slab-c-etcd-1"].KeyPem);
        member.HasPrivateKey.Should().BeTrue();
        Chains(member, ca).Should().BeTrue();
        var names = member.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        names.EnumerateDnsNames().Should().BeEquivalentTo(["k3slab-c-etcd-1", "localhost"]);
        names.EnumerateIPAddresses().Should().BeEquivalentTo([IPAddress.Parse("172.28.0.4"), IPAddress.Loopback]);
        Usages(member).Should().BeEquivalentTo(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], "a member serves clients and peers and authenticates to peers");
    }

    [Fact]
    public void Create_ClientCertificate_IsForClientAuthOnly_AndValidFromBeforeNowForAYear()
    {
        var pki = DatastorePki.Create("c", Members, Now);

        using var ca = X509Certificate2.CreateFromPem(pki.Ca.CertificatePem);
        using var client = X509Certificate2.CreateFromPem(pki.Client.CertificatePem, pki.Client.KeyPem);
        Chains(client, ca).Should().BeTrue();
        client.GetNameInfo(X509NameType.SimpleName, forIssuer: false).Should().Be(DatastorePki.ClientName);
        Usages(client).Should().Equal("1.3.6.1.5.5.7.3.2");
        client.NotBefore.ToUniversalTime().Should().BeBefore(Now.UtcDateTime, "clocks of the nodes may lag the host's");
        client.NotAfter.ToUniversalTime().Should().BeAfter(Now.UtcDateTime.AddDays(364));
        pki.Client.KeyPem.Should().StartWith("-----BEGIN PRIVATE KEY-----");
    }

    [Fact]
    public void Create_TwoClusters_GetDifferentCas()
    {
        var one = DatastorePki.Create("c", Members, Now);
        var two = DatastorePki.Create("c", Members, Now);

        using var otherCa = X509Certificate2.CreateFromPem(two.Ca.CertificatePem);
        using var member = X509Certificate2.CreateFromPem(one.Members["k3slab-c-etcd-0"].CertificatePem);
        Chains(member, otherCa).Should().BeFalse("each cluster's members trust only their own CA");
    }

    private static IEnumerable<string> Usages(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value!);

    private static bool Chains(X509Certificate2 leaf, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = Now.UtcDateTime;
        return chain.Build(leaf);
    }
}
