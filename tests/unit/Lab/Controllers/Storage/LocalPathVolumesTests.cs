using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Controllers.Storage;
using static K3sLab.Lab.Tests.Controllers.Storage.StorageFixtures;

namespace K3sLab.Lab.Tests.Controllers.Storage;

[Trait("Category", "Unit")]
public sealed class LocalPathVolumesTests
{
    private const string Root = "/var/lib/rancher/k3s/storage";

    [Fact]
    public void Volume_IsAHostPathOnTheChosenNodeReservedForTheClaim()
    {
        var claim = Claim("data-web-0", "2Gi", ns: "shop");
        var node = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "agent-1", ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = "agent-1-host" } } };

        var volume = LocalPathVolumes.Volume(claim, Class(reclaim: "Retain"), "agent-1", node, Root);

        volume.Obj("metadata").Str("name").Should().Be("pvc-uid-data-web-0");
        volume.Obj("metadata").Obj("annotations").Str("pv.kubernetes.io/provisioned-by").Should().Be("rancher.io/local-path");
        var spec = volume.Obj("spec")!;
        spec.Obj("hostPath").Str("path").Should().Be($"{Root}/pvc-uid-data-web-0_shop_data-web-0");
        spec.Obj("hostPath").Str("type").Should().Be("DirectoryOrCreate");
        spec.Obj("capacity").Str("storage").Should().Be("2Gi");
        spec.Str("persistentVolumeReclaimPolicy").Should().Be("Retain");
        spec.Str("storageClassName").Should().Be("local-path");
        spec.Obj("claimRef").Str("uid").Should().Be("uid-data-web-0");
        VolumeClaims.AdmitsNode(volume, new Dictionary<string, string> { ["kubernetes.io/hostname"] = "agent-1-host" }, "agent-1").Should().BeTrue();
        VolumeClaims.AdmitsNode(volume, new Dictionary<string, string> { ["kubernetes.io/hostname"] = "agent-2" }, "agent-2").Should().BeFalse();
        LocalPathVolumes.Node(volume).Should().Be("agent-1");
        LocalPathVolumes.Directory(volume, Root).Should().Be($"{Root}/pvc-uid-data-web-0_shop_data-web-0");
    }

    [Fact]
    public void Directory_RefusesAPathOutsideTheRootOrNotTheVolumes()
    {
        var volume = LocalPathVolumes.Volume(Claim("c"), Class(), "n", null, Root);
        var elsewhere = volume.DeepClone().AsObject();
        elsewhere["spec"]!["hostPath"]!["path"] = "/etc";
        var otherName = volume.DeepClone().AsObject();
        otherName["spec"]!["hostPath"]!["path"] = $"{Root}/pvc-someone-else_default_c";

        LocalPathVolumes.Directory(elsewhere, Root).Should().BeNull();
        LocalPathVolumes.Directory(otherName, Root).Should().BeNull();
        LocalPathVolumes.Directory(volume, Root + "/").Should().NotBeNull();
    }

    [Theory]
    [InlineData("ReadWriteMany", "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes")]
    [InlineData("ReadOnlyMany", "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes")]
    [InlineData("ReadWriteOncePod", null)]
    public void Refusal_OnlySingleNodeAccessModes(string mode, string? expected)
    {
        LocalPathVolumes.Refusal(Claim("c", modes: [mode])).Should().Be(expected);
    }

    [Fact]
    public void DeleteHelper_RunsOnTheVolumesNodeAndRemovesOnlyItsDirectory()
    {
        var volume = LocalPathVolumes.Volume(Claim("c"), Class(), "agent-0", null, Root);

        var pod = LocalPathVolumes.DeleteHelper(volume, "agent-0", "/x/pvc-1_default_c");

        pod.Obj("metadata").Str("name").Should().Be("helper-pod-delete-pvc-uid-c");
        pod.Obj("metadata").Str("namespace").Should().Be("kube-system");
        pod.Obj("spec").Str("nodeName").Should().Be("agent-0");
        pod.Obj("spec").Str("restartPolicy").Should().Be("Never");
        var container = pod.Obj("spec").Arr("containers")![0]!;
        container.Arr("command")!.Select(c => c!.GetValue<string>()).Should().Equal("/bin/sh", "-c", "rm -rf -- \"$VOL_DIR\"");
        container.Arr("env")![0]!.Str("value").Should().Be("/x/pvc-1_default_c");
    }
}
