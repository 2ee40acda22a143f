using K3sLab.K3s.ApiServer.Resources.Certificates;

namespace K3sLab.Lab.Tests.Runtime.Certificates;

[Trait("Category", "Unit")]
public sealed class SubjectRestrictionTests
{
    [Fact]
    public void Check_ClientSignerWithSystemMasters_IsForbidden()
    {
        SubjectRestriction.Check(Csrs.Object(Csrs.Ecdsa("admin", "dev", "system:masters"), signer: SubjectRestriction.KubeApiServerClientSigner))
            .Should().Be("use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed");
    }

    [Fact]
    public void Check_OtherGroupsOrSigners_AreAllowed()
    {
        SubjectRestriction.Check(Csrs.Object(Csrs.Rsa("alice", "system:authenticated"), signer: SubjectRestriction.KubeApiServerClientSigner)).Should().BeNull();
        SubjectRestriction.Check(Csrs.Object(Csrs.Ecdsa("system:node:a", "system:masters"), signer: "kubernetes.io/kube-apiserver-client-kubelet")).Should().BeNull();
    }

    [Fact]
    public void Check_UnparsableRequestForTheClientSigner_IsForbiddenWithTheParseError()
    {
        SubjectRestriction.Check(Csrs.Object(Csrs.Base64("junk"), signer: SubjectRestriction.KubeApiServerClientSigner))
            .Should().Be("failed to parse CSR: PEM block type must be CERTIFICATE REQUEST");
    }
}
