using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class VolumeFilesTests
{
    private static JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;

    private static Dictionary<string, string> Contents(IEnumerable<VolumeFile> files) => files.ToDictionary(f => f.Path, f => Encoding.UTF8.GetString(f.Content));

    [Fact]
    public void FromKeys_ConfigMap_WritesEveryKeyWithTheDefaultMode()
    {
        var files = VolumeFiles.FromKeys(Json("""{"name":"cfg"}"""), Json("""{"data":{"app.conf":"port=80","motd":"hi"},"binaryData":{"blob":"AAE="}}"""), secret: false);
        Contents(files).Should().Contain("app.conf", "port=80").And.Contain("motd", "hi");
        files.Single(f => f.Path == "blob").Content.Should().Equal(0, 1);
        files.Should().OnlyContain(f => f.Mode == VolumeFiles.DefaultMode);
    }

    [Fact]
    public void FromKeys_SecretWithItems_DecodesOnlyTheItemsAtTheirPathsAndModes()
    {
        var files = VolumeFiles.FromKeys(Json("""{"secretName":"s","defaultMode":256,"items":[{"key":"password","path":"db/pass","mode":384}]}"""), Json("""{"data":{"password":"czNjcjN0","user":"YWRtaW4="}}"""), secret: true);
        files.Should().ContainSingle();
        files[0].Path.Should().Be("db/pass");
        Encoding.UTF8.GetString(files[0].Content).Should().Be("s3cr3t");
        files[0].Mode.Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public void FromKeys_MissingItemKeyOrEscapingPath_IsRefused()
    {
        var missing = () => VolumeFiles.FromKeys(Json("""{"items":[{"key":"nope","path":"x"}]}"""), Json("""{"data":{"a":"b"}}"""), secret: false);
        missing.Should().Throw<FormatException>().WithMessage("configuration key \"nope\" is not present");
        var escape = () => VolumeFiles.FromKeys(Json("""{"items":[{"key":"a","path":"../etc/passwd"}]}"""), Json("""{"data":{"a":"b"}}"""), secret: false);
        escape.Should().Throw<FormatException>().WithMessage("*may not contain '..'*");
    }

    [Fact]
    public void FromDownwardApi_WritesFieldsAndLabelLines()
    {
        var pod = Json("""{"metadata":{"name":"web-1","namespace":"shop","labels":{"b":"2","a":"1"}},"spec":{"nodeName":"n1"}}""");
        var files = VolumeFiles.FromDownwardApi(Json("""{"items":[{"path":"name","fieldRef":{"fieldPath":"metadata.name"}},{"path":"labels","fieldRef":{"fieldPath":"metadata.labels"}},{"path":"ip","fieldRef":{"fieldPath":"status.podIP"}}]}"""), pod, "10.0.0.5");
        Contents(files).Should().Equal(new Dictionary<string, string> { ["name"] = "web-1", ["labels"] = "a=\"1\"\nb=\"2\"", ["ip"] = "10.0.0.5" });
    }

    [Fact]
    public void MountScript_BindsEachVolume_ReadOnlyWhenAsked_ThenExecsInTheWorkingDir()
    {
        var script = ProcessRuntime.MountScript([new VolumeMount("/var/lib/k/v/data", "/data", false), new VolumeMount("/var/lib/k/v/it's", "/etc/conf", true)], "/work");
        script.Should().Be(
            "mkdir -p -- '/data' && mount --bind -- '/var/lib/k/v/data' '/data' && " +
            "mkdir -p -- '/etc/conf' && mount --bind -- '/var/lib/k/v/it'\\''s' '/etc/conf' && mount -o remount,bind,ro -- '/etc/conf' && " +
            "cd -- '/work' && exec \"$@\"");
    }

    [Fact]
    public void Refresh_IsTheSyncFrequency_OrFourFifthsOfTheShortestTokenLifetimeWhenSooner_OrNone()
    {
        var minute = TimeSpan.FromMinutes(1);
        PodVolumes.Refresh(Json("""{"spec":{"volumes":[{"name":"a","emptyDir":{}},{"name":"h","hostPath":{"path":"/tmp"}}]}}"""), minute).Should().BeNull("nothing there changes with the API");
        PodVolumes.Refresh(Json("""{"spec":{"volumes":[{"name":"a","configMap":{"name":"c"}}]}}"""), minute).Should().Be(minute, "an edited config map reaches the pod");
        PodVolumes.Refresh(Json("""{"spec":{"volumes":[{"name":"a","secret":{"secretName":"s"}}]}}"""), TimeSpan.FromSeconds(5)).Should().Be(TimeSpan.FromSeconds(5));
        var pod = Json("""
            {"spec":{"volumes":[
              {"name":"a","projected":{"sources":[{"serviceAccountToken":{"path":"token"}},{"configMap":{"name":"c"}}]}},
              {"name":"b","projected":{"sources":[{"serviceAccountToken":{"path":"vault","audience":"vault","expirationSeconds":1000}}]}}]}}
            """);
        PodVolumes.Refresh(pod, TimeSpan.FromHours(1)).Should().Be(TimeSpan.FromSeconds(800), "the 1,000 s token is due at 80 %");
        PodVolumes.Refresh(pod, minute).Should().Be(minute);
        PodVolumes.Refresh(Json("""{"spec":{"volumes":[{"name":"a","projected":{"sources":[{"serviceAccountToken":{"path":"t"}}]}}]}}"""), TimeSpan.FromHours(2)).Should().Be(TimeSpan.FromSeconds(2880), "the default lifetime is one hour");
    }

    [Fact]
    public void FromKeys_InAProjectedVolume_TakesTheVolumesDefaultMode()
    {
        var files = VolumeFiles.FromKeys(Json("""{"name":"c","items":[{"key":"a","path":"x"},{"key":"b","path":"y","mode":256}]}"""), Json("""{"data":{"a":"1","b":"2"}}"""), secret: false, projectedMode: (UnixFileMode)0x1C0);
        files.Select(f => f.Mode).Should().Equal((UnixFileMode)0x1C0, (UnixFileMode)256);
    }
}
