using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Controllers.Certificates;
using static K3sLab.Lab.Tests.Controllers.Certificates.CsrFixtures;

namespace K3sLab.Lab.Tests.Controllers.Certificates;

/// <summary>The signer's duration and validity window, and the usage mapping, as upstream's signing policy computes them.</summary>
[Trait("Category", "Unit")]
public sealed class CsrCertificatesTests
{
    private static readonly TimeSpan Year = TimeSpan.FromHours(8760);

    [Theory]
    [InlineData(null, 8760 * 3600)]
    [InlineData(100_000_000L, 8760 * 3600)]
    [InlineData(600L, 600)]
    [InlineData(60L, 600)]
    [InlineData(86_400L, 86_400)]
    public void Duration_ExpirationSeconds_IsBoundedByTenMinutesAndTheSigningDuration(long? requested, long expected)
    {
        CsrCertificates.Duration(requested, Year).Should().Be(TimeSpan.FromSeconds(expected));
    }

    [Fact]
    public void Validity_ShortDuration_BackdatesOnlyTheStart()
    {
        var (notBefore, notAfter) = CsrCertificates.Validity(Now, TimeSpan.FromHours(1), Now.AddYears(5));

        notBefore.Should().Be(Now.AddMinutes(-5));
        notAfter.Should().Be(Now.AddHours(1));
    }

    [Fact]
    public void Validity_EightHoursOrMore_BackdatesBothEnds()
    {
        var (notBefore, notAfter) = CsrCertificates.Validity(Now, TimeSpan.FromHours(8), Now.AddYears(5));

        notBefore.Should().Be(Now.AddMinutes(-5));
        notAfter.Should().Be(Now.AddHours(8).AddMinutes(-5));
    }

    [Fact]
    public void Validity_PastTheCasExpiry_StopsAtIt()
    {
        var (_, notAfter) = CsrCertificates.Validity(Now, Year, Now.AddDays(30));

        notAfter.Should().Be(Now.AddDays(30));
    }

    [Fact]
    public void Validity_CaExpired_RefusesWithUpstreamsMessage()
    {
        var act = () => CsrCertificates.Validity(Now, Year, Now.AddMinutes(-10));

        act.Should().Throw<CryptographicException>().WithMessage("the signer has expired: NotAfter=2026-05-01 11:50:00 +0000 UTC");
    }

    [Fact]
    public void Validity_CaExpiresWithinTheBackdate_RefusesToSignInThePast()
    {
        var act = () => CsrCertificates.Validity(Now, Year, Now.AddMinutes(-1));

        act.Should().Throw<CryptographicException>().WithMessage("refusing to sign a certificate that expired in the past: *");
    }

    [Fact]
    public void KeyUsagesOf_MixedUsages_SplitsBitsAndExtendedOidsInGoOrder()
    {
        var (bits, oids) = KeyUsages.Of(["client auth", "signing", "server auth", "content commitment", "s/mime", "email protection"]);

        bits.Should().Be(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation);
        oids.Should().Equal("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4");
    }

    [Fact]
    public void KeyUsagesOf_UnknownUsage_Throws()
    {
        var act = () => KeyUsages.Of(["client auth", "telepathy"]);

        act.Should().Throw<CryptographicException>().WithMessage("unrecognized usage values: [\"telepathy\"]");
    }
}
