using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Controllers.Storage;
using static K3sLab.Lab.Tests.Controllers.Storage.StorageFixtures;

namespace K3sLab.Lab.Tests.Controllers.Storage;

[Trait("Category", "Unit")]
public sealed class ClaimMatchingTests
{
    [Fact]
    public void Find_PicksTheSmallestFreeVolumeThatCoversTheRequest()
    {
        JsonObject[] volumes = [Volume("big", "10Gi"), Volume("small", "500Mi"), Volume("fits", "2Gi"), Volume("exact", "1Gi")];

        ClaimMatching.Find(Claim("c", "1Gi"), volumes, null)!.Obj("metadata").Str("name").Should().Be("exact");
        ClaimMatching.Find(Claim("c", "1500Mi"), volumes, null)!.Obj("metadata").Str("name").Should().Be("fits");
        ClaimMatching.Find(Claim("c", "20Gi"), volumes, null).Should().BeNull();
    }

    [Fact]
    public void Find_SkipsOtherClassesModesTakenAndReleasedVolumes()
    {
        var claim = Claim("c", modes: ["ReadWriteMany"]);
        JsonObject[] volumes =
        [
            Volume("other-class", className: "fast", modes: ["ReadWriteMany"]),
            Volume("rwo-only"),
            Volume("taken", modes: ["ReadWriteMany"], claimRef: new JsonObject { ["namespace"] = "default", ["name"] = "someone", ["uid"] = "u" }),
            Volume("released", modes: ["ReadWriteMany"], phase: "Released"),
        ];

        ClaimMatching.Find(claim, volumes, null).Should().BeNull();
        ClaimMatching.Find(claim, [.. volumes, Volume("ok", modes: ["ReadWriteOnce", "ReadWriteMany"])], null)!.Obj("metadata").Str("name").Should().Be("ok");
    }

    [Fact]
    public void Find_AVolumeReservedForTheClaimWinsOverASmallerFreeOne()
    {
        var claim = Claim("c");
        var reserved = Volume("reserved", "5Gi", claimRef: new JsonObject { ["namespace"] = "default", ["name"] = "c" });

        ClaimMatching.Find(claim, [Volume("free", "1Gi"), reserved], null)!.Obj("metadata").Str("name").Should().Be("reserved");
    }

    [Fact]
    public void Find_AReservationForAnEarlierClaimOfTheSameNameIsNotThisClaims()
    {
        var reserved = Volume("reserved", claimRef: new JsonObject { ["namespace"] = "default", ["name"] = "c", ["uid"] = "old-uid" });

        ClaimMatching.Find(Claim("c"), [reserved], null).Should().BeNull();
    }

    [Fact]
    public void Find_HonoursTheClaimsSelectorAndTheNodeFilter()
    {
        var selector = new JsonObject { ["matchLabels"] = new JsonObject { ["tier"] = "db" } };
        JsonObject[] volumes = [Volume("plain", node: "a"), Volume("db-a", node: "a", labels: new JsonObject { ["tier"] = "db" }), Volume("db-b", "2Gi", node: "b", labels: new JsonObject { ["tier"] = "db" })];
        var onB = (JsonObject v) => VolumeClaims.AdmitsNode(v, new Dictionary<string, string> { ["kubernetes.io/hostname"] = "b" }, "b");

        ClaimMatching.Find(Claim("c", selector: selector), volumes, null)!.Obj("metadata").Str("name").Should().Be("db-a");
        ClaimMatching.Find(Claim("c", selector: selector.DeepClone().AsObject()), volumes, onB)!.Obj("metadata").Str("name").Should().Be("db-b");
        ClaimMatching.Find(Claim("c"), volumes, onB)!.Obj("metadata").Str("name").Should().Be("db-b");
    }

    [Fact]
    public void AdmitsNode_AVolumeWithoutNodeAffinityAdmitsEveryNode()
    {
        var labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = "x" };

        VolumeClaims.AdmitsNode(Volume("v"), labels, "x").Should().BeTrue();
        VolumeClaims.AdmitsNode(Volume("v", node: "y"), labels, "x").Should().BeFalse();
        VolumeClaims.AdmitsNode(Volume("v", node: "x"), labels, "x").Should().BeTrue();
    }
}
