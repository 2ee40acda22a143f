using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Certificates;
using static K3sLab.Lab.Tests.Controllers.Certificates.CsrFixtures;

namespace K3sLab.Lab.Tests.Controllers.Certificates;

/// <summary>The csrapproving core: which kubelet client requests it reviews, the reviews it asks for, the approval it writes.</summary>
[Trait("Category", "Unit")]
public sealed class NodeClientApprovalTests
{
    [Fact]
    public void Recognize_NodeAskingForItself_TriesSelfNodeClientThenNodeClient()
    {
        var csr = Csr(NodeClientRequest("node-1"), SignerChecks.KubeletClient, ClientUsages, username: "system:node:node-1");

        NodeClientApproval.Recognize(csr).Should().Equal(NodeClientApproval.SelfNodeClient, NodeClientApproval.NodeClient);
    }

    [Fact]
    public void Recognize_BootstrapTokenAskingForANode_TriesNodeClientOnly()
    {
        var csr = Csr(NodeClientRequest("node-1"), SignerChecks.KubeletClient, ["digital signature", "client auth"], username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"]);

        NodeClientApproval.Recognize(csr).Should().Equal(NodeClientApproval.NodeClient);
    }

    [Fact]
    public void Recognize_AlreadyDecidedOrIssued_TriesNothing()
    {
        var request = NodeClientRequest();

        NodeClientApproval.Recognize(Csr(request, SignerChecks.KubeletClient, ClientUsages, conditions: Approved)).Should().BeEmpty();
        NodeClientApproval.Recognize(Csr(request, SignerChecks.KubeletClient, ClientUsages, conditions: [("Denied", "True", Now)])).Should().BeEmpty();
        NodeClientApproval.Recognize(Csr(request, SignerChecks.KubeletClient, ClientUsages, certificatePem: ClientCa.Certificate.ExportCertificatePem())).Should().BeEmpty();
    }

    [Fact]
    public void Recognize_NotAKubeletClientRequest_TriesNothing()
    {
        NodeClientApproval.Recognize(Csr(NodeClientRequest(), SignerChecks.KubeApiServerClient, ClientUsages)).Should().BeEmpty("another signer");
        NodeClientApproval.Recognize(Csr(Request("system:node:node-1", ["system:nodes"], ips: [IPAddress.Loopback]), SignerChecks.KubeletClient, ClientUsages)).Should().BeEmpty("a client certificate names no IP");
        NodeClientApproval.Recognize(Csr(Request("system:node:node-1", ["system:masters"]), SignerChecks.KubeletClient, ClientUsages)).Should().BeEmpty("not system:nodes");
        NodeClientApproval.Recognize(Csr(NodeClientRequest(), SignerChecks.KubeletClient, ServingUsages)).Should().BeEmpty("serving usages");
    }

    [Fact]
    public void Recognize_RequestDoesNotParse_Throws()
    {
        var act = () => NodeClientApproval.Recognize(Csr("garbage", SignerChecks.KubeletClient, ClientUsages));

        act.Should().Throw<CryptographicException>().WithMessage("unable to parse csr \"csr-1\": *");
    }

    [Fact]
    public void Review_Recognizer_AsksWhetherTheRequesterMayCreateTheSubresource()
    {
        var csr = Csr(NodeClientRequest(), SignerChecks.KubeletClient, ClientUsages, username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"]);

        var review = NodeClientApproval.Review(csr, NodeClientApproval.NodeClient);

        review.ToJsonString().Should().Be("""{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"system:bootstrap:abcdef","uid":"user-uid","groups":["system:bootstrappers"],"extra":{"scopes":["a","b"]},"resourceAttributes":{"group":"certificates.k8s.io","resource":"certificatesigningrequests","verb":"create","subresource":"nodeclient"}}}""");
    }

    [Fact]
    public void Allowed_ReviewStatus_ReadsAllowed()
    {
        NodeClientApproval.Allowed(new JsonObject { ["status"] = new JsonObject { ["allowed"] = true } }).Should().BeTrue();
        NodeClientApproval.Allowed(new JsonObject { ["status"] = new JsonObject { ["allowed"] = false, ["reason"] = "no" } }).Should().BeFalse();
        NodeClientApproval.Allowed([]).Should().BeFalse();
    }

    [Fact]
    public void Approve_NodeClient_AddsTheAutoApprovedCondition()
    {
        var csr = Csr(NodeClientRequest(), SignerChecks.KubeletClient, ClientUsages);

        var approved = NodeClientApproval.Approve(csr, NodeClientApproval.NodeClient, Now);

        var condition = approved["status"]!["conditions"]!.AsArray().Single()!.AsObject();
        condition.ToJsonString().Should().Be("""{"type":"Approved","status":"True","lastTransitionTime":"2026-05-01T12:00:00Z","reason":"AutoApproved","message":"Auto approving kubelet client certificate after SubjectAccessReview.","lastUpdateTime":"2026-05-01T12:00:00Z"}""");
        csr["status"]!.AsObject().Should().NotContainKey("conditions", "the cached object is not changed");
    }
}
