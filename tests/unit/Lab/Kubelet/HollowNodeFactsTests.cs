using System.Net;
using K3sLab.K3s.Hollow;
using K3sLab.K3s.Kubelet;
using K3sLab.K3s.Kubelet.Node;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class HollowNodeFactsTests
{
    [Fact]
    public void Status_OfHollowNode_ReportsKubemarkCapacityAndTheHollowRuntime()
    {
        var settings = new KubeletSettings("hollow-7", HollowNodeFacts.Address(7), null, new Dictionary<string, string>(), [], false, new Uri("https://127.0.0.1:6443"), "/tmp/agent")
        {
            ContainerRuntime = HollowRuntime.Scheme,
            FixedFacts = HollowNodeFacts.For("hollow-7"),
        };

        var status = NodeDocument.Status(settings, settings.FixedFacts, null, new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero));

        status["capacity"]!["cpu"]!.GetValue<string>().Should().Be("4");
        status["capacity"]!["memory"]!.GetValue<string>().Should().Be("16777216Ki");
        status["capacity"]!["pods"]!.GetValue<string>().Should().Be("110");
        status["nodeInfo"]!["containerRuntimeVersion"]!.GetValue<string>().Should().StartWith("hollow://");
        status["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Ready")!["status"]!.GetValue<string>().Should().Be("True");
    }

    [Fact]
    public void Address_ForThousandsOfNodes_IsDistinctLoopback()
    {
        var addresses = Enumerable.Range(0, 5000).Select(HollowNodeFacts.Address).ToList();

        addresses.Should().OnlyHaveUniqueItems();
        addresses.Should().OnlyContain(a => IPAddress.IsLoopback(a));
        addresses[0].ToString().Should().Be("127.1.0.1");
    }
}
