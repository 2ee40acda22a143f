using K3sLab.Lab.Cluster;

namespace K3sLab.Lab.Tests.Cluster;

[Trait("Category", "Unit")]
public sealed class ClusterKubeconfigTests
{
    private const string K3sYaml = """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: Q0E=
            server: https://127.0.0.1:6443
          name: default
        contexts:
        - context:
            cluster: default
            user: default
          name: default
        current-context: default
        kind: Config
        users:
        - name: default
          user:
            client-certificate-data: Q0VSVA==
            client-key-data: S0VZ
        """;

    [Fact]
    public void Rewrite_PointsAtTheBalancer_AndNamesEverythingAfterTheCluster()
    {
        var rewritten = ClusterKubeconfig.Rewrite(K3sYaml, "dev", new Uri("https://127.0.0.1:45123"));

        rewritten.Should().Contain("    server: https://127.0.0.1:45123\n");
        rewritten.Should().Contain("  name: k3slab-dev\n").And.Contain("    cluster: k3slab-dev\n").And.Contain("    user: k3slab-dev\n");
        rewritten.Should().Contain("current-context: k3slab-dev\n").And.Contain("- name: k3slab-dev\n");
        rewritten.Should().NotContain("default").And.Contain("client-key-data: S0VZ");
    }
}
