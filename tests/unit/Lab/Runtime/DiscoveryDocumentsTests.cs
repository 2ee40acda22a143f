using k8s;
using k8s.Models;
using K3sLab.K3s.ApiServer.Discovery;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>Discovery documents, read back through the official client's models (KubernetesClient).</summary>
[Trait("Category", "Unit")]
public sealed class DiscoveryDocumentsTests
{
    private static readonly IReadOnlyList<ApiResource> Catalog = ApiResourceCatalog.BuiltIn;

    [Fact]
    public void CoreResourceList_DescribesPodsAsKubectlExpects()
    {
        var list = Read<V1APIResourceList>(DiscoveryDocuments.ResourceList(Catalog, string.Empty, "v1"));

        list.GroupVersion.Should().Be("v1");
        var pods = list.Resources.Single(r => r.Name == "pods");
        pods.Kind.Should().Be("Pod");
        pods.Namespaced.Should().BeTrue();
        pods.ShortNames.Should().Equal("po");
        pods.Categories.Should().Equal("all");
        pods.Verbs.Should().Contain(["list", "watch", "deletecollection"]);
        list.Resources.Single(r => r.Name == "pods/eviction").Group.Should().Be("policy");
        list.Resources.Single(r => r.Name == "namespaces").Verbs.Should().NotContain("deletecollection");
        list.Resources.Select(r => r.ShortNames?.FirstOrDefault()).Should().Contain(["cm", "no", "ns", "svc", "sa"]);
    }

    [Fact]
    public void AppsResourceList_ScaleSubresourceIsAutoscalingScale()
    {
        var list = Read<V1APIResourceList>(DiscoveryDocuments.ResourceList(Catalog, "apps", "v1"));

        var scale = list.Resources.Single(r => r.Name == "deployments/scale");
        (scale.Group, scale.Version, scale.Kind).Should().Be(("autoscaling", "v1", "Scale"));
        list.Resources.Where(r => r.Categories?.Contains("all") == true).Select(r => r.Name)
            .Should().BeEquivalentTo("daemonsets", "deployments", "replicasets", "statefulsets");
    }

    [Fact]
    public void GroupList_ListsNamedGroupsWithPreferredVersion()
    {
        var groups = Read<V1APIGroupList>(DiscoveryDocuments.GroupList(Catalog));

        groups.Groups.Select(g => g.Name).Should().Contain(["apps", "batch", "coordination.k8s.io", "rbac.authorization.k8s.io", "apiextensions.k8s.io"]).And.NotContain(string.Empty);
        groups.Groups.Single(g => g.Name == "apps").PreferredVersion.GroupVersion.Should().Be("apps/v1");
    }

    [Fact]
    public void Autoscaling_ServesV2First_AndV1_WithTheSameResource()
    {
        var group = Read<V1APIGroup>(DiscoveryDocuments.Group(Catalog, "autoscaling"));

        group.Versions.Select(v => v.GroupVersion).Should().Equal("autoscaling/v2", "autoscaling/v1");
        group.PreferredVersion.GroupVersion.Should().Be("autoscaling/v2");
        foreach (var version in new[] { "v2", "v1" })
        {
            var list = Read<V1APIResourceList>(DiscoveryDocuments.ResourceList(Catalog, "autoscaling", version));
            var hpa = list.Resources.Single(r => r.Name == "horizontalpodautoscalers");
            (hpa.Kind, hpa.Namespaced).Should().Be(("HorizontalPodAutoscaler", true));
            hpa.ShortNames.Should().Equal("hpa");
            hpa.Categories.Should().Equal("all");
            list.Resources.Select(r => r.Name).Should().Contain("horizontalpodautoscalers/status");
        }
    }

    [Fact]
    public void UnknownGroupOrVersion_HasNoDocument()
    {
        DiscoveryDocuments.Group(Catalog, "example.com").Should().BeNull();
        DiscoveryDocuments.ResourceList(Catalog, "apps", "v1beta1").Should().BeNull();
    }

    [Fact]
    public void CoreVersions_AdvertisesV1AndServerAddress()
    {
        var versions = Read<V1APIVersions>(DiscoveryDocuments.CoreVersions("10.0.0.1:6443"));

        versions.Versions.Should().Equal("v1");
        versions.ServerAddressByClientCIDRs.Single().ServerAddress.Should().Be("10.0.0.1:6443");
    }

    [Fact]
    public void Catalog_NamesAreUniquePerGroupVersionAndShortNamesDoNotCollide()
    {
        Catalog.GroupBy(r => (r.Group, r.Version, r.Name)).Should().OnlyContain(g => g.Count() == 1);
        Catalog.SelectMany(r => r.ShortNames.Select(s => (s, r.Kind)))
            .GroupBy(x => x.s).Where(g => g.Select(x => x.Kind).Distinct().Count() > 1).Select(g => g.Key)
            .Should().BeEmpty("a short name must mean one kind (ev is Event in both core and events.k8s.io)");
    }

    private static T Read<T>(byte[]? json)
    {
        json.Should().NotBeNull();
        return KubernetesJson.Deserialize<T>(System.Text.Encoding.UTF8.GetString(json!));
    }
}
