using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Controllers.Certificates;
using static K3sLab.Lab.Tests.Controllers.Certificates.CsrFixtures;

namespace K3sLab.Lab.Tests.Controllers.Certificates;

/// <summary>The built-in signers' checks of a request, with kube's messages (they become the Failed condition's message).</summary>
[Trait("Category", "Unit")]
public sealed class SignerChecksTests
{
    public static TheoryData<string, string, string[], string?> Cases => new()
    {
        { SignerChecks.KubeletServing, Request("system:node:n", ["system:nodes"], dns: ["n"]), ServingUsages, null },
        { SignerChecks.KubeletServing, Request("system:node:n", ["system:nodes"], ips: [IPAddress.Loopback]), ["server auth", "digital signature"], null },
        { SignerChecks.KubeletServing, Request("system:node:n", ["system:nodes", "extra"], dns: ["n"]), ServingUsages, "subject organization is not system:nodes" },
        { SignerChecks.KubeletServing, Request("system:node:n", ["system:nodes"], dns: ["n"], emails: ["a@b.c"]), ServingUsages, "Email subjectAltNames are not allowed" },
        { SignerChecks.KubeletServing, Request("system:node:n", ["system:nodes"], dns: ["n"], uris: [new Uri("spiffe://x/y")]), ServingUsages, "URI subjectAltNames are not allowed" },
        { SignerChecks.KubeletServing, Request("system:node:n", ["system:nodes"], dns: ["n"]), ["server auth"], "usages did not match [digital signature key encipherment server auth]" },
        { SignerChecks.KubeletServing, Request("alice", ["system:nodes"], dns: ["n"]), ServingUsages, "subject common name does not begin with system:node:" },
        { SignerChecks.KubeletClient, NodeClientRequest(), ClientUsages, null },
        { SignerChecks.KubeletClient, Request("system:node:n", ["system:masters"]), ClientUsages, "subject organization is not system:nodes" },
        { SignerChecks.KubeletClient, Request("system:node:n", ["system:nodes"], dns: ["n"]), ClientUsages, "DNS subjectAltNames are not allowed" },
        { SignerChecks.KubeletClient, Request("system:node:n", ["system:nodes"], emails: ["a@b.c"]), ClientUsages, "Email subjectAltNames are not allowed" },
        { SignerChecks.KubeletClient, Request("system:node:n", ["system:nodes"], ips: [IPAddress.Loopback]), ClientUsages, "IP subjectAltNames are not allowed" },
        { SignerChecks.KubeletClient, Request("system:node:n", ["system:nodes"], uris: [new Uri("spiffe://x/y")]), ClientUsages, "URI subjectAltNames are not allowed" },
        { SignerChecks.KubeletClient, Request("bob", ["system:nodes"]), ClientUsages, "subject common name does not begin with system:node:" },
        { SignerChecks.KubeApiServerClient, Request("bob", ["anything"], dns: ["x"]), ["client auth"], null },
        { SignerChecks.KubeApiServerClient, Request("bob"), ["key encipherment", "cert sign", "client auth"], "invalid usage for client certificate: cert sign" },
        { SignerChecks.LegacyUnknown, Request("bob"), ["cert sign"], null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Problem_Request_MatchesKubesValidation(string signer, string requestPem, string[] usages, string? expected)
    {
        SignerChecks.Problem(signer, ParsedRequest.Parse(requestPem), usages).Should().Be(expected);
    }

    [Fact]
    public void Problem_UnknownSigner_Throws()
    {
        var act = () => SignerChecks.Problem("example.com/x", ParsedRequest.Parse(Request("bob")), []);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Parse_SeveralCommonNames_KeepsTheLastAndEveryOrganizationInEncodedOrder()
    {
        // Encoded order CN=first, O=b, O=a, CN=second (written by hand: the builders reverse what they are given).
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var (oid, value) in new[] { ("2.5.4.3", "first"), ("2.5.4.10", "b"), ("2.5.4.10", "a"), ("2.5.4.3", "second") })
            {
                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(oid);
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
                }
            }
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = new CertificateRequest(new X500DistinguishedName(writer.Encode()), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

        var request = ParsedRequest.Parse(pem);

        request.CommonName.Should().Be("second", "Go keeps the last common name");
        request.Organizations.Should().Equal("b", "a");
    }
}
