using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Scheduling;
using static K3sLab.Lab.Tests.Controllers.Scheduling.SchedulingFixtures;
using static K3sLab.Lab.Tests.Controllers.Storage.StorageFixtures;

namespace K3sLab.Lab.Tests.Controllers.Scheduling;

[Trait("Category", "Unit")]
public sealed class VolumeBindingTests
{
    private static readonly Dictionary<string, JsonObject> Classes = new()
    {
        ["/local-path"] = Class(),
        ["/manual"] = Class("manual", "kubernetes.io/no-provisioner"),
        ["/immediate"] = Class("immediate", "example.com/nfs", "Immediate"),
    };

    [Fact]
    public void Decide_MissingClaim_FailsEveryNodeWithThePreFilterMessage()
    {
        var state = State(Node("a"), Node("b"));
        var pod = WithClaims("p", "data");

        var placement = PodPlacement.Decide(pod, state, VolumeBinding.Of(pod, new Dictionary<string, JsonObject>(), NoVolumes, Classes));

        placement.Node.Should().BeNull();
        placement.Message.Should().Be("0/2 nodes are available: persistentvolumeclaim \"data\" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
    }

    [Fact]
    public void Decide_UnboundImmediateClaim_WaitsForTheBinder()
    {
        var pod = WithClaims("p", "data");
        var claims = Claims(Claim("data", className: "immediate"));

        var placement = PodPlacement.Decide(pod, State(Node("a")), VolumeBinding.Of(pod, claims, NoVolumes, Classes));

        placement.Message.Should().StartWith("0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.");
    }

    [Fact]
    public void Decide_BoundVolume_PinsThePodToTheVolumesNode()
    {
        var pod = WithClaims("p", "data");
        var claims = Claims(Claim("data", volumeName: "pv-1"));
        var volumes = new Dictionary<string, JsonObject> { ["/pv-1"] = Volume("pv-1", node: "b") };
        var binding = VolumeBinding.Of(pod, claims, volumes, Classes);

        var placement = PodPlacement.Decide(pod, State(Node("a"), Node("b"), Node("c")), binding);

        placement.Node.Should().Be("b");
        binding.WaitingClaims.Should().BeEmpty();
        PodPlacement.Decide(pod, State(Node("a"), Node("c")), binding).Message
            .Should().Be("0/2 nodes are available: 2 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
    }

    [Fact]
    public void Decide_WaitForFirstConsumerClaimOfAProvisioningClass_FitsAnywhereAndIsToBeAnnotated()
    {
        var pod = WithClaims("p", "data");
        var binding = VolumeBinding.Of(pod, Claims(Claim("data")), NoVolumes, Classes);

        PodPlacement.Decide(pod, State(Node("a")), binding).Node.Should().Be("a");
        binding.WaitingClaims.Should().Equal("default/data");
    }

    [Fact]
    public void Decide_WaitForFirstConsumerWithoutProvisioner_NeedsAFreeVolumeOnTheNode()
    {
        var pod = WithClaims("p", "data");
        var claims = Claims(Claim("data", className: "manual"));
        var volumes = new Dictionary<string, JsonObject> { ["/local-b"] = Volume("local-b", className: "manual", node: "b") };

        PodPlacement.Decide(pod, State(Node("a"), Node("b")), VolumeBinding.Of(pod, claims, volumes, Classes)).Node.Should().Be("b");
        PodPlacement.Decide(pod, State(Node("a")), VolumeBinding.Of(pod, claims, volumes, Classes)).Reasons["a"]
            .Should().Equal("node(s) didn't find available persistent volumes to bind");
    }

    [Fact]
    public void Of_APodWithoutClaims_HasNoConstraint()
    {
        VolumeBinding.Of(Pod("p"), new Dictionary<string, JsonObject>(), NoVolumes, Classes).Should().BeSameAs(VolumeBinding.None);
    }

    private static readonly Dictionary<string, JsonObject> NoVolumes = [];

    private static SchedulingPod WithClaims(string name, params string[] claims) =>
        PodWith(name, spec => spec["volumes"] = new JsonArray([.. claims.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = c } })]));

    private static Dictionary<string, JsonObject> Claims(params JsonObject[] claims) =>
        claims.ToDictionary(c => $"{c["metadata"]!["namespace"]}/{c["metadata"]!["name"]}");
}
