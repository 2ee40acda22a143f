using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Controllers.Certificates;
using static K3sLab.Lab.Tests.Controllers.Certificates.CsrFixtures;

namespace K3sLab.Lab.Tests.Controllers.Certificates;

/// <summary>The csrcleaner's rule: which requests are old enough (or whose certificate is expired) to delete.</summary>
[Trait("Category", "Unit")]
public sealed class CsrCleanupTests
{
    private static readonly string Request = NodeClientRequest();
    private static readonly string Certificate = ClientCa.Certificate.ExportCertificatePem();

    [Fact]
    public void Expired_ApprovedAndIssuedOverAnHourAgo_Deletes()
    {
        var csr = Csr(Request, SignerChecks.KubeletClient, ClientUsages, conditions: [("Approved", "True", Now.AddMinutes(-61))], certificatePem: Certificate);

        CsrCleanup.Expired(csr, Now).Should().Be("it is more than 1h0m0s old and approved");
    }

    [Fact]
    public void Expired_ApprovedOverAnHourAgoButNotIssued_Keeps()
    {
        var csr = Csr(Request, SignerChecks.KubeletClient, ClientUsages, conditions: [("Approved", "True", Now.AddHours(-2))]);

        CsrCleanup.Expired(csr, Now).Should().BeNull();
    }

    [Fact]
    public void Expired_ApprovedAndIssuedRecently_Keeps()
    {
        var csr = Csr(Request, SignerChecks.KubeletClient, ClientUsages, conditions: [("Approved", "True", Now.AddMinutes(-59))], certificatePem: Certificate);

        CsrCleanup.Expired(csr, Now).Should().BeNull();
    }

    [Theory]
    [InlineData("Denied", "it is more than 1h0m0s old and denied")]
    [InlineData("Failed", "it is more than 1h0m0s old and failed")]
    public void Expired_DeniedOrFailedOverAnHourAgo_Deletes(string type, string reason)
    {
        var csr = Csr(Request, SignerChecks.KubeletClient, ClientUsages, conditions: [(type, "True", Now.AddMinutes(-61))]);

        CsrCleanup.Expired(csr, Now).Should().Be(reason);
        CsrCleanup.Expired(csr, Now.AddMinutes(-2)).Should().BeNull();
    }

    [Fact]
    public void Expired_PendingForADay_Deletes()
    {
        var csr = Csr(Request, SignerChecks.KubeletClient, ClientUsages, created: Now.AddHours(-24).AddSeconds(-1));

        CsrCleanup.Expired(csr, Now).Should().Be("it is more than 24h0m0s old and unhandled");
        CsrCleanup.Expired(csr, Now.AddMinutes(-1)).Should().BeNull();
    }

    [Fact]
    public void Expired_IssuedCertificateExpired_Deletes()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var expired = new CertificateRequest("CN=old", key, HashAlgorithmName.SHA256).CreateSelfSigned(Now.AddDays(-2), Now.AddMinutes(-1));
        var csr = Csr(Request, SignerChecks.KubeletClient, ClientUsages, conditions: [("Approved", "True", Now.AddMinutes(-5))], certificatePem: expired.ExportCertificatePem());

        CsrCleanup.Expired(csr, Now).Should().Be("the associated certificate is expired");
    }

    [Fact]
    public void Expired_CertificateDoesNotParse_KeepsUntilTheHourPasses()
    {
        var csr = Csr(Request, SignerChecks.KubeletClient, ClientUsages, conditions: [("Approved", "True", Now.AddMinutes(-5))], certificatePem: "not a certificate");

        CsrCleanup.Expired(csr, Now).Should().BeNull();
    }
}
