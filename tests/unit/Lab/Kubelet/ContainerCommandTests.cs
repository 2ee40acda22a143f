using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class ContainerCommandTests
{
    private static readonly Dictionary<string, string> Env = new() { ["NAME"] = "web", ["PORT"] = "8080" };

    private static JsonObject Container(string json) => (JsonObject)JsonNode.Parse(json)!;

    [Theory]
    [InlineData("busybox", "sh")]
    [InlineData("docker.io/library/busybox:1.36", "sh")]
    [InlineData("busybox@sha256:abc", "sh")]
    [InlineData("rancher/mirrored-library-busybox:1.36.1", "sh")]
    [InlineData("alpine:3.20", "/bin/sh")]
    [InlineData("registry.k8s.io/pause:3.10", "sleep infinity")]
    [InlineData("rancher/mirrored-pause:3.6", "sleep infinity")]
    [InlineData("localhost:5000/debian:12", "bash")]
    public void ImageEntrypoints_WellKnownImages_HaveTheirPrograms(string image, string argv)
    {
        var entry = ImageEntrypoints.Find(image)!;
        string.Join(' ', entry.Entrypoint.Concat(entry.Cmd)).Should().Be(argv);
    }

    [Fact]
    public void ImageEntrypoints_UnknownImage_IsNull()
    {
        ImageEntrypoints.Find("nginx:1.27").Should().BeNull();
        ImageEntrypoints.Find("registry:5000/team/app").Should().BeNull();
    }

    [Fact]
    public void Resolve_CommandAndArgs_ExpandEnvironment()
    {
        var argv = ContainerCommand.Resolve(Container("""{"image":"busybox","command":["sh","-c"],"args":["echo $(NAME) on $(PORT) $(MISSING) $$(NAME)"]}"""), Env, out var error);
        error.Should().BeNull();
        argv.Should().Equal("sh", "-c", "echo web on 8080 $(MISSING) $(NAME)");
    }

    [Fact]
    public void Resolve_NoCommand_UsesTheImageTable_AndArgsReplaceCmd()
    {
        ContainerCommand.Resolve(Container("""{"image":"busybox"}"""), Env, out _).Should().Equal("sh");
        ContainerCommand.Resolve(Container("""{"image":"busybox","args":["echo","hi"]}"""), Env, out _).Should().Equal("echo", "hi");
        ContainerCommand.Resolve(Container("""{"image":"pause","args":["ignored?"]}"""), Env, out _).Should().Equal("sleep", "infinity", "ignored?");
    }

    [Fact]
    public void Resolve_UnknownImageWithoutCommand_ExplainsWhatToDo()
    {
        ContainerCommand.Resolve(Container("""{"image":"nginx"}"""), Env, out var error).Should().BeNull();
        error.Should().Contain("image \"nginx\"").And.Contain("busybox").And.Contain("set the container's command");
    }
}
