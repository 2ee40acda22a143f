using K3sLab.K3s.Controllers.GarbageCollection;
using static K3sLab.Lab.Tests.Controllers.GarbageCollection.GcJson;

namespace K3sLab.Lab.Tests.Controllers.GarbageCollection;

[Trait("Category", "Unit")]
public sealed class DependentsIndexTests
{
    [Fact]
    public void Update_CreateChangeDelete_KeepsTheGraph()
    {
        var index = new DependentsIndex();
        var owner = Object("o");
        var dependent = Object("d", [Ref("o")]);
        index.Update("cm|default/o-o", null, owner);
        index.Update("cm|default/o-d", null, dependent);

        index.KeyOf("o").Should().Be("cm|default/o-o");
        index.DependentsOf("o").Should().Equal("cm|default/o-d");

        var moved = Object("d", [Ref("p")]);
        index.Update("cm|default/o-d", dependent, moved);
        index.DependentsOf("o").Should().BeEmpty();
        index.DependentsOf("p").Should().Equal("cm|default/o-d");

        index.Update("cm|default/o-d", moved, null);
        index.DependentsOf("p").Should().BeEmpty();
        index.KeyOf("d").Should().BeNull();
    }

    [Fact]
    public void Update_Cycle_BothSidesAreDependents()
    {
        var index = new DependentsIndex();
        index.Update("cm|default/o-a", null, Object("a", [Ref("b")]));
        index.Update("cm|default/o-b", null, Object("b", [Ref("a")]));

        index.DependentsOf("a").Should().Equal("cm|default/o-b");
        index.DependentsOf("b").Should().Equal("cm|default/o-a");
    }

    [Fact]
    public void GcKinds_OwnerReferencesAndKeys_RoundTrip()
    {
        GcKinds.ForOwner("apps/v1", "ReplicaSet")!.Resource.Resource.Should().Be("replicasets");
        GcKinds.ForOwner("v1", "ConfigMap")!.Resource.Resource.Should().Be("configmaps");
        GcKinds.ForOwner("example.com/v1", "Foo").Should().BeNull();
        GcKinds.ForOwner("extensions/v1beta1", "ReplicaSet").Should().BeNull();

        var kind = GcKinds.ForOwner("coordination.k8s.io/v1", "Lease")!;
        GcKinds.Parse(kind.Key("kube-node-lease", "n1")).Should().Be((kind, "kube-node-lease", "n1"));
        GcKinds.Parse(GcKinds.ForOwner("v1", "Node")!.Key(string.Empty, "n1"))!.Value.Name.Should().Be("n1");
        GcKinds.Parse("nonsense").Should().BeNull();
    }
}
