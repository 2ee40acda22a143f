using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Certificates;
using static K3sLab.Lab.Tests.Controllers.Certificates.CsrFixtures;

namespace K3sLab.Lab.Tests.Controllers.Certificates;

/// <summary>The csrsigning core: which requests it signs, how it fails them, and what it issues (real crypto).</summary>
[Trait("Category", "Unit")]
public sealed class CsrSignerTests
{
    private static readonly TimeSpan Year = TimeSpan.FromHours(8760);

    private static readonly Dictionary<string, X509Certificate2> Authorities = new()
    {
        [SignerChecks.KubeApiServerClient] = ClientCa.Certificate,
        [SignerChecks.KubeletClient] = ClientCa.Certificate,
        [SignerChecks.KubeletServing] = ServerCa.Certificate,
        [SignerChecks.LegacyUnknown] = ServerCa.Certificate,
    };

    [Fact]
    public void Decide_Pending_Skips()
    {
        var csr = Csr(Request("alice"), SignerChecks.KubeApiServerClient, ClientUsages);

        CsrSigner.Decide(csr, Authorities, Year, Now).Outcome.Should().Be(SigningOutcome.Skip);
    }

    [Theory]
    [InlineData("Denied", "True")]
    [InlineData("Failed", "True")]
    public void Decide_ApprovedButDeniedOrFailed_Skips(string type, string status)
    {
        var csr = Csr(Request("alice"), SignerChecks.KubeApiServerClient, ClientUsages, conditions: [("Approved", "True", Now), (type, status, Now)]);

        CsrSigner.Decide(csr, Authorities, Year, Now).Outcome.Should().Be(SigningOutcome.Skip);
    }

    [Fact]
    public void Decide_AlreadyIssued_Skips()
    {
        var csr = Csr(Request("alice"), SignerChecks.KubeApiServerClient, ClientUsages, conditions: Approved, certificatePem: ClientCa.Certificate.ExportCertificatePem());

        CsrSigner.Decide(csr, Authorities, Year, Now).Outcome.Should().Be(SigningOutcome.Skip);
    }

    [Fact]
    public void Decide_OtherSigner_Skips()
    {
        var csr = Csr(Request("alice"), "example.com/my-signer", ClientUsages, conditions: Approved);

        CsrSigner.Decide(csr, Authorities, Year, Now).Outcome.Should().Be(SigningOutcome.Skip);
    }

    [Fact]
    public void Decide_ApiServerClient_IssuesFromTheClientCaWithTheSubjectVerbatim()
    {
        var pem = Request("alice", ["devs", "ops"]);
        var csr = Csr(pem, SignerChecks.KubeApiServerClient, ClientUsages, conditions: Approved);

        var decision = CsrSigner.Decide(csr, Authorities, Year, Now);

        decision.Outcome.Should().Be(SigningOutcome.Issue);
        decision.Update!["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be("7", "the write is at the cached resourceVersion");
        using var issued = IssuedCertificate(decision.Update);
        issued.SubjectName.RawData.Should().Equal(ParsedRequest.Parse(pem).Subject.RawData);
        issued.GetNameInfo(X509NameType.SimpleName, forIssuer: false).Should().Be("alice");
        issued.IssuerName.RawData.Should().Equal(ClientCa.Certificate.SubjectName.RawData);
        VerifiesWith(issued, ClientCa.Certificate).Should().BeTrue();
        issued.NotBefore.ToUniversalTime().Should().Be(Now.UtcDateTime.AddMinutes(-5));
        issued.NotAfter.ToUniversalTime().Should().Be(Now.UtcDateTime.Add(Year).AddMinutes(-5), "a long-lived certificate loses the backdate at its end");
        issued.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority.Should().BeFalse();
        issued.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.Should().Be(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment);
        issued.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).Should().Equal("1.3.6.1.5.5.7.3.2");
        issued.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().Should().ContainSingle();
    }

    [Fact]
    public void Decide_ExpirationSeconds_IssuesForTheRequestedHourWithoutBackdatingTheEnd()
    {
        var csr = Csr(Request("alice"), SignerChecks.KubeApiServerClient, ClientUsages, expirationSeconds: 3600, conditions: Approved);

        using var issued = IssuedCertificate(CsrSigner.Decide(csr, Authorities, Year, Now).Update!);

        issued.NotAfter.ToUniversalTime().Should().Be(Now.UtcDateTime.AddHours(1));
    }

    [Fact]
    public void Decide_KubeletServing_IssuesFromTheServerCaWithTheRequestedNames()
    {
        var request = Request("system:node:node-1", ["system:nodes"], dns: ["node-1"], ips: [IPAddress.Parse("10.0.0.5")]);
        var csr = Csr(request, SignerChecks.KubeletServing, ["digital signature", "server auth"], conditions: Approved);

        var decision = CsrSigner.Decide(csr, Authorities, Year, Now);

        decision.Outcome.Should().Be(SigningOutcome.Issue);
        using var issued = IssuedCertificate(decision.Update!);
        VerifiesWith(issued, ServerCa.Certificate).Should().BeTrue();
        var san = issued.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        san.EnumerateDnsNames().Should().Equal("node-1");
        san.EnumerateIPAddresses().Should().Equal(IPAddress.Parse("10.0.0.5"));
        issued.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.Should().Be(X509KeyUsageFlags.DigitalSignature);
    }

    [Fact]
    public void Decide_LegacyUnknown_SignsWithoutChecks()
    {
        var csr = Csr(Request("anything", emails: ["a@example.com"]), SignerChecks.LegacyUnknown, ["server auth", "code signing"], conditions: Approved);

        var decision = CsrSigner.Decide(csr, Authorities, Year, Now);

        decision.Outcome.Should().Be(SigningOutcome.Issue);
        using var issued = IssuedCertificate(decision.Update!);
        VerifiesWith(issued, ServerCa.Certificate).Should().BeTrue();
        issued.Extensions.OfType<X509KeyUsageExtension>().Should().BeEmpty("no key usage bit was asked for");
    }

    [Theory]
    [InlineData("kubernetes.io/kube-apiserver-client", "client auth,server auth", "invalid usage for client certificate: server auth")]
    [InlineData("kubernetes.io/kube-apiserver-client", "digital signature", "missing required usage for client certificate: client auth")]
    [InlineData("kubernetes.io/kube-apiserver-client-kubelet", "client auth", "usages did not match [client auth digital signature key encipherment]")]
    [InlineData("kubernetes.io/kubelet-serving", "digital signature,key encipherment,server auth", "DNS or IP subjectAltName is required")]
    public void Decide_FailsTheSignersChecks_SetsFailedWithUpstreamsMessage(string signer, string usages, string message)
    {
        var csr = Csr(NodeClientRequest(), signer, usages.Split(','), conditions: Approved);

        var decision = CsrSigner.Decide(csr, Authorities, Year, Now);

        decision.Outcome.Should().Be(SigningOutcome.Fail);
        var failed = decision.Update!["status"]!["conditions"]!.AsArray().OfType<JsonObject>().Single(c => c["type"]!.GetValue<string>() == "Failed");
        failed["status"]!.GetValue<string>().Should().Be("True");
        failed["reason"]!.GetValue<string>().Should().Be("SignerValidationFailure");
        failed["message"]!.GetValue<string>().Should().Be(message);
        failed["lastUpdateTime"]!.GetValue<string>().Should().Be("2026-05-01T12:00:00Z");
        failed["lastTransitionTime"]!.GetValue<string>().Should().Be("2026-05-01T12:00:00Z");
        decision.Update["status"]!["certificate"].Should().BeNull();
    }

    [Fact]
    public void Decide_RequestNotPem_Retries()
    {
        var csr = Csr("not a request", SignerChecks.KubeApiServerClient, ClientUsages, conditions: Approved);

        var decision = CsrSigner.Decide(csr, Authorities, Year, Now);

        decision.Outcome.Should().Be(SigningOutcome.Retry);
        decision.Message.Should().StartWith("unable to parse csr \"csr-1\": ");
    }

    [Fact]
    public void Decide_SignatureDoesNotVerify_RetriesWithoutSigning()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new CertificateRequest("CN=alice", key, HashAlgorithmName.SHA256).CreateSigningRequest(X509SignatureGenerator.CreateForECDsa(other));
        var csr = Csr(PemEncoding.WriteString("CERTIFICATE REQUEST", forged), SignerChecks.KubeApiServerClient, ClientUsages, conditions: Approved);

        var decision = CsrSigner.Decide(csr, Authorities, Year, Now);

        decision.Outcome.Should().Be(SigningOutcome.Retry);
        decision.Message.Should().StartWith("error auto signing csr: unable to verify certificate request signature");
    }

    private static bool VerifiesWith(X509Certificate2 issued, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = Now.UtcDateTime;
        return chain.Build(issued);
    }
}
