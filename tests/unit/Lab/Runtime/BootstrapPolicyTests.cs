using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Authorization;
using K3sLab.K3s.Server;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class BootstrapPolicyTests
{
    private static readonly UserInfo Admin = new("system:admin", ["system:masters", "system:authenticated"]);
    private static readonly UserInfo Dave = new("dave", ["system:authenticated"]);

    [Fact]
    public void AuthenticatedUsers_GetDiscoveryAndSelfReviews_ButNoResources()
    {
        Allowed(Dave, Path("get", "/apis/apps/v1")).Should().BeTrue();
        Allowed(Dave, Path("get", "/openapi/v3")).Should().BeTrue();
        Allowed(Dave, Path("get", "/metrics")).Should().BeFalse();
        Allowed(Dave, Path("post", "/apis")).Should().BeFalse();
        Allowed(Dave, new AccessRequest("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "")).Should().BeTrue();
        Allowed(Dave, new AccessRequest("create", "authorization.k8s.io", "subjectaccessreviews", "", "", "")).Should().BeFalse();
        Allowed(Dave, new AccessRequest("list", "", "pods", "", "default", "")).Should().BeFalse();
    }

    [Fact]
    public void ClusterAdmin_IsGrantedByItsBindingToSystemMasters()
    {
        Allowed(Admin, new AccessRequest("delete", "rbac.authorization.k8s.io", "clusterroles", "", "", "view")).Should().BeTrue();
        BootstrapPolicy.Bindings.Single(b => b.Name == "cluster-admin").Subjects.Should().Equal(new RbacSubject("Group", "system:masters"));
    }

    [Theory]
    [InlineData("view", "list", "apps", "deployments", "", true)]
    [InlineData("view", "get", "", "pods", "log", true)]
    [InlineData("view", "get", "", "secrets", "", false)]
    [InlineData("view", "create", "", "pods", "", false)]
    [InlineData("view", "list", "rbac.authorization.k8s.io", "roles", "", false)]
    [InlineData("view", "list", "metrics.k8s.io", "pods", "", true)]
    [InlineData("view", "list", "metrics.k8s.io", "pods", "proxy", false)]
    [InlineData("edit", "get", "metrics.k8s.io", "pods", "", true)]
    [InlineData("system:aggregated-metrics-reader", "list", "metrics.k8s.io", "nodes", "", true)]
    [InlineData("system:aggregated-metrics-reader", "list", "", "pods", "", false)]
    [InlineData("edit", "create", "apps", "deployments", "", true)]
    [InlineData("edit", "create", "", "pods", "exec", true)]
    [InlineData("edit", "get", "", "secrets", "", true)]
    [InlineData("edit", "update", "apps", "deployments", "scale", true)]
    [InlineData("edit", "create", "rbac.authorization.k8s.io", "rolebindings", "", false)]
    [InlineData("edit", "update", "apps", "deployments", "status", false)]
    [InlineData("admin", "create", "rbac.authorization.k8s.io", "rolebindings", "", true)]
    [InlineData("admin", "create", "authorization.k8s.io", "localsubjectaccessreviews", "", true)]
    [InlineData("admin", "delete", "", "namespaces", "", false)]
    public void UserFacingRoles_GrantWhatUpstreamsDo(string role, string verb, string group, string resource, string subresource, bool expected)
    {
        var user = new UserInfo("erin", ["system:authenticated"]);
        RbacBinding[] bindings = [.. BootstrapPolicy.Bindings, new("team", "erin", "ClusterRole", role, [new("User", "erin")])];

        RbacAuthorizer.Allows(user, new AccessRequest(verb, group, resource, subresource, "team", "x"), BootstrapPolicy.Roles, bindings).Should().Be(expected);
    }

    [Theory]
    [InlineData("system:certificates.k8s.io:kube-apiserver-client-approver", "kubernetes.io/kube-apiserver-client", true)]
    [InlineData("system:certificates.k8s.io:kube-apiserver-client-approver", "kubernetes.io/kubelet-serving", false)]
    [InlineData("system:certificates.k8s.io:kubelet-serving-approver", "kubernetes.io/kubelet-serving", true)]
    [InlineData("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", "kubernetes.io/kube-apiserver-client-kubelet", true)]
    [InlineData("system:certificates.k8s.io:legacy-unknown-approver", "kubernetes.io/legacy-unknown", true)]
    [InlineData("system:node-bootstrapper", "kubernetes.io/kube-apiserver-client", false)]
    public void ApproverRoles_ApproveOnlyTheirSigner(string role, string signerName, bool expected)
    {
        var user = new UserInfo("erin", ["system:authenticated"]);
        RbacBinding[] bindings = [.. BootstrapPolicy.Bindings, new(string.Empty, "erin", "ClusterRole", role, [new("User", "erin")])];

        RbacAuthorizer.Allows(user, new AccessRequest("approve", "certificates.k8s.io", "signers", string.Empty, string.Empty, signerName), BootstrapPolicy.Roles, bindings).Should().Be(expected);
    }

    [Fact]
    public void StoredObjects_ReadBackAsTheSameModel()
    {
        var role = JsonNode.Parse("""
            {"kind":"Role","metadata":{"name":"r","namespace":"dev"},
             "rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"],"resourceNames":["a"]},{"verbs":["get"],"nonResourceURLs":["/x"]}]}
            """)!.AsObject();
        var binding = JsonNode.Parse("""
            {"kind":"RoleBinding","metadata":{"name":"b","namespace":"dev"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},
             "subjects":[{"kind":"ServiceAccount","name":"sa","namespace":"dev"},{"kind":"Group","name":"g"}]}
            """)!.AsObject();

        var parsedRole = RbacObjects.Role(role);
        parsedRole.Namespace.Should().Be("dev");
        parsedRole.Rules[0].ResourceNames.Should().Equal("a");
        parsedRole.Rules[1].NonResourceUrls.Should().Equal("/x");
        RbacObjects.ToJson(parsedRole.Rules[0]).ToJsonString().Should().Be("""{"verbs":["get"],"apiGroups":[""],"resources":["pods"],"resourceNames":["a"]}""");

        var parsedBinding = RbacObjects.Binding(binding);
        parsedBinding.Should().BeEquivalentTo(new RbacBinding("dev", "b", "Role", "r", [new("ServiceAccount", "sa", "dev"), new("Group", "g")]));
        RbacAuthorizer.Allows(new UserInfo("system:serviceaccount:dev:sa", []), new AccessRequest("get", "", "pods", "", "dev", "a"), [parsedRole], [parsedBinding]).Should().BeTrue();
        RbacAuthorizer.Allows(new UserInfo("system:serviceaccount:dev:sa", []), new AccessRequest("get", "", "pods", "", "dev", "b"), [parsedRole], [parsedBinding]).Should().BeFalse();
    }

    [Fact]
    public void RulesFor_CollectsClusterWideAndNamespaceGrants()
    {
        RbacBinding[] bindings = [.. BootstrapPolicy.Bindings, new("team", "dave-view", "ClusterRole", "view", [new("User", "dave")])];

        var inTeam = RbacAuthorizer.RulesFor(Dave, "team", BootstrapPolicy.Roles, bindings);
        var elsewhere = RbacAuthorizer.RulesFor(Dave, "other", BootstrapPolicy.Roles, bindings);

        inTeam.Should().Contain(r => r.Resources.Contains("deployments"));
        elsewhere.Should().NotContain(r => r.Resources.Contains("deployments"));
        elsewhere.Should().Contain(r => r.NonResourceUrls.Contains("/apis/*"));
        RbacAuthorizer.RulesFor(Admin, "x", [], []).Should().Contain(r => r.Resources.Contains("*"));
    }

    private static bool Allowed(UserInfo user, AccessRequest request) =>
        RbacAuthorizer.Allows(user, request, BootstrapPolicy.Roles, BootstrapPolicy.Bindings);

    private static AccessRequest Path(string verb, string path) => new(verb, "", "", "", "", "", path);
}
