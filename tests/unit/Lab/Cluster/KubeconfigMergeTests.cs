using K3sLab.Lab.Cluster;
using YamlDotNet.RepresentationModel;

namespace K3sLab.Lab.Tests.Cluster;

[Trait("Category", "Unit")]
public sealed class KubeconfigMergeTests
{
    private const string Lab = """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: Q0E=
            server: https://127.0.0.1:40001
          name: k3slab-dev
        contexts:
        - context:
            cluster: k3slab-dev
            user: k3slab-dev
          name: k3slab-dev
        current-context: k3slab-dev
        kind: Config
        users:
        - name: k3slab-dev
          user:
            client-certificate-data: Q0VSVA==
            client-key-data: S0VZ
        """;

    private const string Users = """
        apiVersion: v1
        kind: Config
        preferences:
          colors: true
        clusters:
        - cluster:
            server: https://prod.example:6443
          name: prod
        - cluster:
            server: https://127.0.0.1:1
          name: k3slab-dev
        contexts:
        - context: {cluster: prod, user: admin, namespace: web}
          name: prod
        current-context: prod
        users:
        - name: admin
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: get-token
              args: [--profile, ops]
        """;

    [Fact]
    public void Merge_IntoNothing_MakesAKubeconfigWithTheLabContextCurrent()
    {
        var merged = Root(KubeconfigMerge.Merge(string.Empty, Lab, "k3slab-dev", switchContext: false));

        Names(merged, "clusters").Should().Equal("k3slab-dev");
        Names(merged, "users").Should().Equal("k3slab-dev");
        Names(merged, "contexts").Should().Equal("k3slab-dev");
        Scalar(merged, "current-context").Should().Be("k3slab-dev", "with no current context the merged one becomes current");
        Scalar(merged, "kind").Should().Be("Config");
    }

    [Fact]
    public void Merge_IntoAUsersFile_ReplacesSameNamedEntries_KeepsEverythingElse_AndTheCurrentContext()
    {
        var text = KubeconfigMerge.Merge(Users, Lab, "k3slab-dev", switchContext: false);
        var merged = Root(text);

        Names(merged, "clusters").Should().Equal("prod", "k3slab-dev");
        Names(merged, "users").Should().Equal("admin", "k3slab-dev");
        Names(merged, "contexts").Should().Equal("prod", "k3slab-dev");
        Scalar(merged, "current-context").Should().Be("prod", "the user's context stays current unless --switch-context");
        text.Should().Contain("https://127.0.0.1:40001").And.NotContain("https://127.0.0.1:1", "the stale entry of the same name is replaced");
        text.Should().Contain("command: get-token").And.Contain("namespace: web").And.Contain("colors: true", "fields the lab does not know are kept");
        text.Should().NotEndWith("...\n");
    }

    [Fact]
    public void Merge_WithSwitchContext_MakesTheLabContextCurrent_AndMergingTwiceChangesNothing()
    {
        var once = KubeconfigMerge.Merge(Users, Lab, "k3slab-dev", switchContext: true);
        var twice = KubeconfigMerge.Merge(once, Lab, "k3slab-dev", switchContext: true);

        Scalar(Root(once), "current-context").Should().Be("k3slab-dev");
        twice.Should().Be(once);
    }

    [Fact]
    public void Remove_TakesOutOnlyTheLabEntries_AndClearsTheCurrentContextIfItWasTheirs()
    {
        var merged = KubeconfigMerge.Merge(Users, Lab, "k3slab-dev", switchContext: true);

        var rest = Root(KubeconfigMerge.Remove(merged, "k3slab-dev")!);

        Names(rest, "clusters").Should().Equal("prod");
        Names(rest, "users").Should().Equal("admin");
        Names(rest, "contexts").Should().Equal("prod");
        Scalar(rest, "current-context").Should().BeEmpty();
        KubeconfigMerge.Remove(Users.Replace("name: k3slab-dev", "name: other", StringComparison.Ordinal), "k3slab-dev").Should().BeNull("nothing to remove leaves the file alone");
    }

    [Fact]
    public void Merge_IntoAFileThatIsNotAKubeconfig_IsRefusedWithTheReason()
    {
        var broken = () => KubeconfigMerge.Merge("clusters: [unclosed", Lab, "k3slab-dev", switchContext: false);
        var list = () => KubeconfigMerge.Merge("- a\n- b\n", Lab, "k3slab-dev", switchContext: false);

        broken.Should().Throw<LabSetupException>().WithMessage("the kubeconfig to merge into is not valid YAML*");
        list.Should().Throw<LabSetupException>().WithMessage("the kubeconfig to merge into is not a kubeconfig*");
    }

    private static YamlMappingNode Root(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static IEnumerable<string?> Names(YamlMappingNode root, string section) =>
        ((YamlSequenceNode)root[section]).OfType<YamlMappingNode>().Select(e => ((YamlScalarNode)e["name"]).Value);

    private static string? Scalar(YamlMappingNode root, string key) => ((YamlScalarNode)root[key]).Value;
}
