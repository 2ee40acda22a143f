using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Authorization;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class RbacAuthorizerTests
{
    private static readonly PolicyRule ReadPods = new(["get", "list", "watch"], [""], ["pods", "pods/log"], [], []);
    private static readonly RbacRole PodReader = new("dev", "pod-reader", [ReadPods]);
    private static readonly RbacRole View = new(string.Empty, "view", [new(["get", "list", "watch"], ["", "apps"], ["*"], [], [])]);
    private static readonly RbacRole Health = new(string.Empty, "health", [new(["get"], [], [], [], ["/healthz", "/metrics/*"])]);
    private static readonly RbacRole OneConfigMap = new("dev", "cfg-editor", [new(["get", "update"], [""], ["configmaps"], ["app-config"], [])]);

    private static readonly UserInfo Alice = new("alice", ["devs", "system:authenticated"]);

    [Fact]
    public void RoleBinding_GrantsOnlyInItsNamespace()
    {
        RbacBinding[] bindings = [new("dev", "alice-reads", "Role", "pod-reader", [new("User", "alice")])];

        Allowed(Alice, Pods("list", "dev"), bindings).Should().BeTrue();
        Allowed(Alice, Pods("list", "prod"), bindings).Should().BeFalse();
        Allowed(Alice, Pods("delete", "dev"), bindings).Should().BeFalse();
    }

    [Fact]
    public void RoleBindingToClusterRole_GrantsThatRoleInTheBindingNamespaceOnly()
    {
        RbacBinding[] bindings = [new("dev", "devs-view", "ClusterRole", "view", [new("Group", "devs")])];

        Allowed(Alice, new AccessRequest("get", "apps", "deployments", "", "dev", "web"), bindings).Should().BeTrue();
        Allowed(Alice, new AccessRequest("get", "apps", "deployments", "", "prod", "web"), bindings).Should().BeFalse();
        Allowed(Alice, new AccessRequest("get", "batch", "jobs", "", "dev", "j"), bindings).Should().BeFalse("view lists only the core and apps groups here");
    }

    [Fact]
    public void Subresources_AreSeparateResources()
    {
        RbacBinding[] bindings = [new("dev", "alice-reads", "Role", "pod-reader", [new("User", "alice")])];

        Allowed(Alice, new AccessRequest("get", "", "pods", "log", "dev", "web"), bindings).Should().BeTrue();
        Allowed(Alice, new AccessRequest("create", "", "pods", "exec", "dev", "web"), bindings).Should().BeFalse();
    }

    [Fact]
    public void ResourceNames_LimitToNamedObjects()
    {
        RbacBinding[] bindings = [new("dev", "cfg", "Role", "cfg-editor", [new("User", "alice")])];

        Allowed(Alice, new AccessRequest("update", "", "configmaps", "", "dev", "app-config"), bindings).Should().BeTrue();
        Allowed(Alice, new AccessRequest("update", "", "configmaps", "", "dev", "other"), bindings).Should().BeFalse();
        Allowed(Alice, new AccessRequest("get", "", "configmaps", "", "dev", ""), bindings).Should().BeFalse("a named rule does not allow unnamed requests");
    }

    [Fact]
    public void ServiceAccountSubject_MatchesItsUserName()
    {
        RbacBinding[] bindings = [new(string.Empty, "sa-view", "ClusterRole", "view", [new("ServiceAccount", "robot", "ci")])];
        var robot = new UserInfo("system:serviceaccount:ci:robot", ["system:serviceaccounts", "system:serviceaccounts:ci"]);

        Allowed(robot, Pods("list", "anywhere"), bindings).Should().BeTrue();
        Allowed(new UserInfo("system:serviceaccount:other:robot", []), Pods("list", "anywhere"), bindings).Should().BeFalse();
    }

    [Fact]
    public void NonResourceUrls_MatchExactlyOrByPrefixStar()
    {
        RbacBinding[] bindings = [new(string.Empty, "health", "ClusterRole", "health", [new("Group", "system:authenticated")])];

        Allowed(Alice, new AccessRequest("get", "", "", "", "", "", "/healthz"), bindings).Should().BeTrue();
        Allowed(Alice, new AccessRequest("get", "", "", "", "", "", "/metrics/cadvisor"), bindings).Should().BeTrue();
        Allowed(Alice, new AccessRequest("get", "", "", "", "", "", "/debug/pprof"), bindings).Should().BeFalse();
    }

    [Fact]
    public void Masters_AreAllowedEverythingAndStrangersNothing()
    {
        Allowed(new UserInfo("system:admin", ["system:masters"]), Pods("deletecollection", "kube-system"), []).Should().BeTrue();
        Allowed(new UserInfo("nobody", ["system:authenticated"]), Pods("get", "dev"), []).Should().BeFalse();
    }

    private static AccessRequest Pods(string verb, string ns) => new(verb, "", "pods", "", ns, "");

    private static bool Allowed(UserInfo user, AccessRequest request, RbacBinding[] bindings) =>
        RbacAuthorizer.Allows(user, request, [PodReader, View, Health, OneConfigMap], bindings);
}
