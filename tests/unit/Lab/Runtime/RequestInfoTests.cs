using K3sLab.K3s.ApiServer.Http;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class RequestInfoTests
{
    [Theory]
    [InlineData("GET", "/api/v1/pods", null, "list", "", "v1", "", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/default/pods", null, "list", "", "v1", "default", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/default/pods", "true", "watch", "", "v1", "default", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/default/pods", "True", "watch", "", "v1", "default", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/default/pods", "false", "list", "", "v1", "default", "pods", "", "")]
    [InlineData("GET", "/api/v1/watch/namespaces/default/pods/web", null, "watch", "", "v1", "default", "pods", "web", "")]
    [InlineData("GET", "/api/v1/namespaces/default/pods/web/log", null, "get", "", "v1", "default", "pods", "web", "log")]
    [InlineData("POST", "/api/v1/namespaces/default/pods/web/binding", null, "create", "", "v1", "default", "pods", "web", "binding")]
    [InlineData("PUT", "/apis/apps/v1/namespaces/prod/deployments/api/scale", null, "update", "apps", "v1", "prod", "deployments", "api", "scale")]
    [InlineData("PATCH", "/api/v1/nodes/agent-1/status", null, "patch", "", "v1", "", "nodes", "agent-1", "status")]
    [InlineData("DELETE", "/api/v1/namespaces/default/configmaps", null, "deletecollection", "", "v1", "default", "configmaps", "", "")]
    [InlineData("DELETE", "/api/v1/namespaces/default/configmaps/cfg", null, "delete", "", "v1", "default", "configmaps", "cfg", "")]
    [InlineData("GET", "/api/v1/namespaces/kube-system", null, "get", "", "v1", "", "namespaces", "kube-system", "")]
    [InlineData("PUT", "/api/v1/namespaces/doomed/finalize", null, "update", "", "v1", "", "namespaces", "doomed", "finalize")]
    [InlineData("GET", "/api/v1/namespaces", null, "list", "", "v1", "", "namespaces", "", "")]
    [InlineData("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/agent-1", null, "get", "coordination.k8s.io", "v1", "kube-node-lease", "leases", "agent-1", "")]
    public void Parse_ResourcePaths_MatchKubeApiserver(string method, string path, string? watch, string verb, string group, string version, string ns, string resource, string name, string sub)
    {
        RequestInfo.Parse(method, path, watch).Should().Be(new RequestInfo(verb, group, version, ns, resource, name, sub));
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/api")]
    [InlineData("/api/v1")]
    [InlineData("/apis/apps")]
    [InlineData("/apis/apps/v1")]
    [InlineData("/api/v1/namespaces/default/pods//x")]
    public void Parse_NonResourcePaths_ReturnsNull(string path)
    {
        RequestInfo.Parse("GET", path, null).Should().BeNull();
    }
}
