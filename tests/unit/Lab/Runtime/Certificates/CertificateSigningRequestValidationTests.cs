using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources.Certificates;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.Lab.Tests.Runtime.Certificates;

[Trait("Category", "Unit")]
public sealed class CertificateSigningRequestValidationTests
{
    private static readonly string Request = Csrs.Ecdsa();

    private static List<string> Create(JsonObject csr) =>
        [.. ObjectValidation.Check("certificates.k8s.io", "CertificateSigningRequest", "certificatesigningrequests", csr, null).Select(Text)];

    private static List<string> Update(string subresource, JsonObject csr, JsonObject old) =>
        [.. (subresource.Length == 0
            ? ObjectValidation.Check("certificates.k8s.io", "CertificateSigningRequest", "certificatesigningrequests", csr, old)
            : ObjectValidation.CheckCertificateSigningRequest(subresource, csr, old)).Select(Text)];

    private static string Text(StatusCause cause) => $"{cause.Field}: {cause.Message}";

    [Fact]
    public void Create_EcdsaAndRsaRequests_AreValid_WhateverTheName()
    {
        Create(Csrs.Object(Request, name: "Not_A_DNS.Name")).Should().BeEmpty();
        Create(Csrs.Object(Csrs.Rsa(), signer: "kubernetes.io/kube-apiserver-client", usages: "[\"digital signature\",\"key encipherment\",\"client auth\"]", spec: "\"expirationSeconds\":600")).Should().BeEmpty();
    }

    [Fact]
    public void Create_RequestNotAPemCsr_IsInvalidWithGoBytes()
    {
        Create(Csrs.Object(Csrs.Base64("hello"))).Should().Equal(
            "spec.request: Invalid value: []byte{0x68, 0x65, 0x6c, 0x6c, 0x6f}: PEM block type must be CERTIFICATE REQUEST");
        Create(Csrs.Object(Csrs.Certificate())).Should().ContainSingle().Which.Should().EndWith(": PEM block type must be CERTIFICATE REQUEST");
    }

    [Fact]
    public void Create_BadSignature_IsRefusedInGosWords()
    {
        Create(Csrs.Object(Csrs.Tampered(Request))).Should().ContainSingle().Which.Should().EndWith(": x509: ECDSA verification failure");
        Create(Csrs.Object(Csrs.Tampered(Csrs.Rsa()))).Should().ContainSingle().Which.Should().EndWith(": crypto/rsa: verification error");
    }

    [Fact]
    public void Create_Usages_RequiredKnownAndUnique()
    {
        Create(Csrs.Object(Request, usages: "[]")).Should().Equal("spec.usages: Required value");
        var causes = Create(Csrs.Object(Request, usages: "[\"client auth\",\"client auth\",\"flying\"]"));
        causes.Should().HaveCount(2);
        causes[0].Should().StartWith("spec.usages[2]: Unsupported value: \"flying\": supported values: \"any\", \"cert sign\", \"client auth\",");
        causes[1].Should().Be("spec.usages[1]: Duplicate value: \"client auth\"");
    }

    [Theory]
    [InlineData("", "spec.signerName: Required value")]
    [InlineData("signer", "spec.signerName: Invalid value: \"signer\": must be a fully qualified domain and path of the form 'example.com/signer-name'")]
    [InlineData("example/signer", "spec.signerName: Invalid value: \"example\": should be a domain with at least two segments separated by dots")]
    [InlineData("kubernetes.io/legacy-unknown", "spec.signerName: Invalid value: \"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed via this API version")]
    [InlineData("Example.com/x", "spec.signerName: Invalid value: \"Example.com\": validating label \"Example\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    public void Create_SignerName_FollowsValidateSignerName(string signer, string expected)
    {
        Create(Csrs.Object(Request, signer: signer)).Should().Equal(expected);
    }

    [Fact]
    public void Create_ExpirationUnderTenMinutes_IsInvalid()
    {
        Create(Csrs.Object(Request, spec: "\"expirationSeconds\":599")).Should().Equal(
            "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)");
    }

    [Fact]
    public void MainUpdate_MayNotAddApprovalOrCertificate()
    {
        var old = Csrs.Object(Request);
        Update("", Csrs.Object(Request, status: $$"""{"conditions":[{"type":"Approved","status":"True"}],"certificate":"{{Csrs.Certificate()}}"}"""), old).Should().Equal(
            "status.conditions: Forbidden: updates may not add a condition of type \"Approved\"",
            "status.certificate: Forbidden: updates may not set certificate content");
    }

    [Fact]
    public void StatusUpdate_SetsACertificateOnce_AndMayNotTouchApproval()
    {
        var approved = """{"conditions":[{"type":"Approved","status":"True","lastUpdateTime":"2026-01-01T00:00:00Z"}]""";
        var old = Csrs.Object(Request, status: approved + "}");
        Update("status", Csrs.Object(Request, status: approved + $",\"certificate\":\"{Csrs.Certificate()}\"}}"), old).Should().BeEmpty();

        var issued = Csrs.Object(Request, status: approved + $",\"certificate\":\"{Csrs.Certificate()}\"}}");
        Update("status", Csrs.Object(Request, status: approved + $",\"certificate\":\"{Csrs.Certificate("other")}\"}}"), issued).Should().Equal(
            "status.certificate: Forbidden: updates may not modify existing certificate content");
        Update("status", Csrs.Object(Request, status: approved + ",\"certificate\":\"eA==\"}"), old).Should().Equal(
            "status.certificate: Invalid value: \"<certificate data>\": must contain at least one CERTIFICATE PEM block");
        Update("status", Csrs.Object(Request, status: """{"conditions":[{"type":"Denied","status":"True"}]}"""), Csrs.Object(Request)).Should().Equal(
            "status.conditions: Forbidden: updates may not add a condition of type \"Denied\"");
    }

    [Fact]
    public void ApprovalUpdate_ConditionsAreTrueOnly_ExclusiveAndNeverRemoved()
    {
        var pending = Csrs.Object(Request);
        Update("approval", Csrs.Object(Request, status: """{"conditions":[{"type":"Approved","status":"True"}]}"""), pending).Should().BeEmpty();
        Update("approval", Csrs.Object(Request, status: """{"conditions":[{"type":"Approved","status":"False"}]}"""), pending).Should().Equal(
            "status.conditions[0].status: Unsupported value: \"False\": supported values: \"True\"");
        Update("approval", Csrs.Object(Request, status: """{"conditions":[{"type":"Approved","status":"True"},{"type":"Denied","status":"True"},{"type":"Denied","status":"True"}]}"""), pending).Should().Equal(
            "status.conditions[1].type: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive",
            "status.conditions[2].type: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive",
            "status.conditions[2].type: Duplicate value: \"Denied\"");
        Update("approval", Csrs.Object(Request, status: """{"conditions":[{"type":"Custom"}]}"""), Csrs.Object(Request, status: """{"conditions":[{"type":"Approved","status":"True"}]}""")).Should().Equal(
            "status.conditions[0].status: Required value",
            "status.conditions: Forbidden: updates may not remove a condition of type \"Approved\"");
    }

    [Fact]
    public void Update_ProblemsAlreadyStored_AreTolerated()
    {
        var legacy = Csrs.Object(Request, signer: "kubernetes.io/legacy-unknown", usages: "[\"flying\",\"flying\"]");
        Update("", Csrs.Object(Request, signer: "kubernetes.io/legacy-unknown", usages: "[\"flying\",\"flying\"]"), legacy).Should().BeEmpty();
    }

    [Fact]
    public void ValidateCertificateSigningRequest_ThrowsTheInvalidStatus()
    {
        var resource = K3sLab.K3s.ApiServer.Discovery.ApiResourceCatalog.BuiltIn.Single(r => r.Name == "certificatesigningrequests");
        var act = () => ObjectValidation.ValidateCertificateSigningRequest(resource!, CertificateSigningRequestStrategy.ApprovalSubresource,
            Csrs.Object(Request, status: """{"conditions":[{"type":"Approved","status":"Unknown"}]}"""), Csrs.Object(Request));

        act.Should().Throw<ApiStatusException>().Which.Message.Should().Be(
            "CertificateSigningRequest.certificates.k8s.io \"req\" is invalid: status.conditions[0].status: Unsupported value: \"Unknown\": supported values: \"True\"");
    }
}
