using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Scheduling;

namespace K3sLab.Lab.Tests.Controllers.Scheduling;

[Trait("Category", "Unit")]
public sealed class PodRequestsTests
{
    [Fact]
    public void Of_Containers_AreSummedAndInitContainersRaiseTheMaximum()
    {
        var spec = Spec(
            containers: [Container("250m", "64Mi"), Container("250m", "64Mi")],
            init: [Container("1", "32Mi")]);

        PodRequests.Of(spec, nonZero: false).Should().Be(new ResourceAmount(1000, 128L * 1024 * 1024));
    }

    [Fact]
    public void Of_SidecarInitContainer_AddsToTheContainers()
    {
        var sidecar = Container("100m", "10Mi");
        sidecar["restartPolicy"] = "Always";
        var spec = Spec(containers: [Container("200m", "20Mi")], init: [sidecar]);

        PodRequests.Of(spec, nonZero: false).Should().Be(new ResourceAmount(300, 30L * 1024 * 1024));
    }

    [Fact]
    public void Of_LimitWithoutRequest_CountsTheLimit_AndOverheadIsAdded()
    {
        var container = new JsonObject { ["name"] = "c", ["resources"] = new JsonObject { ["limits"] = new JsonObject { ["cpu"] = "500m", ["memory"] = "1Gi" } } };
        var spec = Spec(containers: [container]);
        spec["overhead"] = new JsonObject { ["cpu"] = "10m" };

        PodRequests.Of(spec, nonZero: false).Should().Be(new ResourceAmount(510, 1024L * 1024 * 1024));
    }

    [Fact]
    public void Of_NonZero_DefaultsContainersWithoutRequests()
    {
        var spec = Spec(containers: [new JsonObject { ["name"] = "c" }, Container("1", null)]);

        PodRequests.Of(spec, nonZero: false).Should().Be(new ResourceAmount(1000, 0));
        PodRequests.Of(spec, nonZero: true).Should().Be(new ResourceAmount(1100, 2 * PodRequests.DefaultMemory));
    }

    [Fact]
    public void Milli_FractionalQuantities_RoundUp()
    {
        ResourceAmount.Milli(JsonValue.Create("0.0001")).Should().Be(1);
        ResourceAmount.Milli(JsonValue.Create("2")).Should().Be(2000);
        ResourceAmount.Whole(JsonValue.Create("1Ki")).Should().Be(1024);
        ResourceAmount.Whole(JsonValue.Create("bogus")).Should().Be(0);
    }

    private static JsonObject Container(string? cpu, string? memory)
    {
        var requests = new JsonObject();
        if (cpu is not null)
        {
            requests["cpu"] = cpu;
        }

        if (memory is not null)
        {
            requests["memory"] = memory;
        }

        return new JsonObject { ["name"] = "c", ["resources"] = new JsonObject { ["requests"] = requests } };
    }

    private static JsonObject Spec(JsonObject[] containers, JsonObject[]? init = null) => new()
    {
        ["containers"] = new JsonArray([.. containers]),
        ["initContainers"] = new JsonArray([.. init ?? []]),
    };
}
