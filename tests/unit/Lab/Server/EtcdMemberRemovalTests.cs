using System.Text.Json.Nodes;
using K3sLab.K3s.Server;

namespace K3sLab.Lab.Tests.Server;

[Trait("Category", "Unit")]
public sealed class EtcdMemberRemovalTests
{
    private static readonly string[] Members = ["s1-0a1b2c3d", "s2-deadbeef", "s2-extra-12345678"];

    [Fact]
    public void MemberNameOf_AnnotatedEtcdNode_UsesTheAnnotation()
    {
        var node = Node("s1", etcd: true, annotation: "s1-0a1b2c3d");

        EtcdMemberRemoval.MemberNameOf(node, Members).Should().Be("s1-0a1b2c3d");
    }

    [Fact]
    public void MemberNameOf_EtcdNodeWithoutAnnotation_MatchesK3sNameForm()
    {
        EtcdMemberRemoval.MemberNameOf(Node("s2", etcd: true), Members).Should().Be("s2-deadbeef");
        EtcdMemberRemoval.MemberNameOf(Node("s9", etcd: true), Members).Should().BeNull();
    }

    [Fact]
    public void MemberNameOf_NodeWithoutTheEtcdRole_IsNotAMember()
    {
        EtcdMemberRemoval.MemberNameOf(Node("s1", etcd: false, annotation: "s1-0a1b2c3d"), Members).Should().BeNull();
    }

    private static JsonObject Node(string name, bool etcd, string? annotation = null)
    {
        var metadata = new JsonObject { ["name"] = name, ["labels"] = new JsonObject() };
        if (etcd)
        {
            metadata["labels"]![EtcdMemberRemoval.EtcdRole] = "true";
        }

        if (annotation is not null)
        {
            metadata["annotations"] = new JsonObject { [EtcdMemberRemoval.MemberNameAnnotation] = annotation };
        }

        return new JsonObject { ["metadata"] = metadata };
    }
}
