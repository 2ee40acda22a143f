using System.Net;
using System.Text.RegularExpressions;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// RBAC as kubectl sees it: a user with a certificate from the cluster's client CA and no bindings is refused with
/// kube-apiserver's Forbidden messages; Roles, ClusterRoles and their bindings (to the user or to a group in the
/// certificate) grant exactly what their rules say, within the binding's namespace; deleting a binding takes the
/// grant away; and <c>kubectl auth can-i</c> (with <c>--list</c>) and <c>auth whoami</c> answer from the same policy.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class RbacTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    private static readonly TimeSpan PolicyDelay = TimeSpan.FromSeconds(10);

    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task RoleBinding_GrantsItsRulesInItsNamespaceOnly(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var suffix = kubectl.Replace('.', '-');
        var ns = "rbac-" + suffix;
        var user = "alice-" + suffix;
        var (cert, key) = await IssueUserAsync(user, ["dev-" + suffix], ct);
        var kubeconfig = await KubeconfigForAsync(user, cert, key, ct);
        Task<KubectlResult> AsUser(params string[] args) => Kubectl.RunAsync(kubectl, kubeconfig, ct, args);

        await ApplyAsync(kubectl, $"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n", ct);

        var denied = await AsUser("get", "pods", "-n", ns);
        denied.ExitCode.Should().Be(1);
        denied.Stderr.Trim().Should().Be($"Error from server (Forbidden): pods is forbidden: User \"{user}\" cannot list resource \"pods\" in API group \"\" in the namespace \"{ns}\"");
        (await AsUser("auth", "can-i", "list", "pods", "-n", ns)).Stdout.Trim().Should().Be("no");

        // Discovery is open to every authenticated user (system:discovery), so kubectl can map kinds for them.
        var resources = await AsUser("api-resources", "--no-headers");
        resources.ExitCode.Should().Be(0, resources.Stderr);

        await ApplyAsync(kubectl, $$"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: pod-reader, namespace: {{ns}}}
            rules:
            - apiGroups: [""]
              resources: [pods]
              verbs: [get, list, watch]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: read-pods, namespace: {{ns}}}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
            subjects:
            - {apiGroup: rbac.authorization.k8s.io, kind: User, name: {{user}}}
            """, ct);

        (await Eventually.UntilAsync(() => AsUser("auth", "can-i", "list", "pods", "-n", ns), r => r.Stdout.Trim() == "yes", PolicyDelay, ct)).ExitCode.Should().Be(0);
        var allowed = await AsUser("get", "pods", "-n", ns);
        allowed.ExitCode.Should().Be(0, allowed.Stderr + server.Log);
        allowed.Stderr.Trim().Should().Be($"No resources found in {ns} namespace.");

        (await AsUser("get", "pods", "-n", "default")).Stderr.Should().Contain($"User \"{user}\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"");
        (await AsUser("auth", "can-i", "delete", "pods", "-n", ns)).Stdout.Trim().Should().Be("no");
        var write = await AsUser("create", "configmap", "cm", "-n", ns, "--dry-run=server", "-o", "name");
        write.ExitCode.Should().Be(1);
        write.Stderr.Should().Contain($"configmaps is forbidden: User \"{user}\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"{ns}\"");

        var list = await AsUser("auth", "can-i", "--list", "-n", ns);
        list.ExitCode.Should().Be(0, list.Stderr);
        list.Stdout.Split('\n').Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .Should().Contain("pods [] [] [get list watch]")
            .And.Contain("selfsubjectaccessreviews.authorization.k8s.io [] [] [create]");

        // The admin may impersonate anyone (kubectl --as); the answer is the impersonated user's.
        (await Admin(kubectl, ct, "auth", "can-i", "list", "pods", "-n", ns, "--as", user)).Stdout.Trim().Should().Be("yes");
        (await Admin(kubectl, ct, "auth", "can-i", "list", "pods", "-n", "default", "--as", user)).Stdout.Trim().Should().Be("no");
        if (kubectl != "1.27")
        {
            // The impersonated uid is the user's uid (kubectl --as-uid, the Impersonate-Uid header).
            var whoami = await Admin(kubectl, ct, "auth", "whoami", "--as", user, "--as-group", "dev-" + suffix, "--as-uid", "uid-" + suffix, "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.uid} {.status.userInfo.groups}");
            whoami.Stdout.Should().Be($"{user} uid-{suffix} [\"dev-{suffix}\",\"system:authenticated\"]", whoami.Stderr);
        }

        var impersonating = await AsUser("get", "pods", "-n", ns, "--as", "system:admin");
        impersonating.ExitCode.Should().Be(1);
        impersonating.Stderr.Should().Contain($"users \"system:admin\" is forbidden: User \"{user}\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope");

        (await Admin(kubectl, ct, "delete", "rolebinding", "read-pods", "-n", ns)).ExitCode.Should().Be(0);
        (await Eventually.UntilAsync(() => AsUser("auth", "can-i", "list", "pods", "-n", ns), r => r.Stdout.Trim() == "no", PolicyDelay, ct)).ExitCode.Should().Be(1);
    }

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task ClusterRoleBinding_ToAGroup_GrantsTheBuiltInViewRoleEverywhere(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var suffix = kubectl.Replace('.', '-');
        var user = "bob-" + suffix;
        var group = "viewers-" + suffix;
        var (cert, key) = await IssueUserAsync(user, [group], ct);
        var kubeconfig = await KubeconfigForAsync(user, cert, key, ct);
        Task<KubectlResult> AsUser(params string[] args) => Kubectl.RunAsync(kubectl, kubeconfig, ct, args);

        var roles = await Admin(kubectl, ct, "get", "clusterroles", "-l", "kubernetes.io/bootstrapping=rbac-defaults", "-o", "name");
        roles.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Contain(
            ["clusterrole.rbac.authorization.k8s.io/cluster-admin", "clusterrole.rbac.authorization.k8s.io/view", "clusterrole.rbac.authorization.k8s.io/edit", "clusterrole.rbac.authorization.k8s.io/admin", "clusterrole.rbac.authorization.k8s.io/system:discovery"]);

        (await AsUser("get", "deployments", "-A")).Stderr.Should().Contain($"User \"{user}\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope");
        await ApplyAsync(kubectl, $$"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: {{group}}}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
            subjects:
            - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: {{group}}}
            """, ct);

        var listed = await Eventually.UntilAsync(() => AsUser("get", "deployments", "-A"), r => r.ExitCode == 0, PolicyDelay, ct);
        listed.ExitCode.Should().Be(0, listed.Stderr);
        (await AsUser("auth", "can-i", "get", "secrets", "-n", "kube-system")).Stdout.Trim().Should().Be("no");
        (await AsUser("auth", "can-i", "watch", "pods", "-n", "kube-system")).Stdout.Trim().Should().Be("yes");
        (await AsUser("auth", "can-i", "create", "deployments", "-n", "default")).Stdout.Trim().Should().Be("no");
        (await AsUser("auth", "can-i", "list", "clusterroles")).Stdout.Trim().Should().Be("no");

        if (kubectl != "1.27")
        {
            var whoami = await AsUser("auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}");
            whoami.ExitCode.Should().Be(0, whoami.Stderr);
            whoami.Stdout.Should().Be($"{user} [\"{group}\",\"system:authenticated\"]");
        }

        (await Admin(kubectl, ct, "delete", "clusterrolebinding", group)).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task Escalation_ARoleOrBindingBeyondWhatTheWriterHolds_IsForbidden()
    {
        var ct = TestContext.Current.CancellationToken;
        const string kubectl = "1.33";
        const string ns = "rbac-escalation";
        const string user = "carol";
        var (cert, key) = await IssueUserAsync(user, [], ct);
        var kubeconfig = await KubeconfigForAsync(user, cert, key, ct);
        await ApplyAsync(kubectl, $$"""
            apiVersion: v1
            kind: Namespace
            metadata: {name: {{ns}}}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: rbac-writer, namespace: {{ns}}}
            rules:
            - apiGroups: [""]
              resources: [pods]
              verbs: [get, list]
            - apiGroups: [rbac.authorization.k8s.io]
              resources: [roles, rolebindings]
              verbs: [create]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: rbac-writer, namespace: {{ns}}}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: rbac-writer}
            subjects:
            - {apiGroup: rbac.authorization.k8s.io, kind: User, name: {{user}}}
            """, ct);
        await Eventually.UntilAsync(() => Kubectl.RunAsync(kubectl, kubeconfig, ct, "auth", "can-i", "create", "roles", "-n", ns), r => r.Stdout.Trim() == "yes", PolicyDelay, ct);

        // A role within what carol holds is fine; one beyond it is refused, naming what she lacks.
        (await Kubectl.RunAsync(kubectl, kubeconfig, ct, "create", "role", "reader", "-n", ns, "--verb=get", "--resource=pods")).ExitCode.Should().Be(0);
        var escalating = await Kubectl.RunAsync(kubectl, kubeconfig, ct, "create", "role", "deleter", "-n", ns, "--verb=get,delete", "--resource=pods");
        (escalating.ExitCode, escalating.Stderr).Should().Be((1,
            "Error from server (Forbidden): roles.rbac.authorization.k8s.io \"deleter\" is forbidden: user \"carol\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}\n"));

        // Binding a role carol does not hold in full is refused too; binding one she holds is fine.
        (await Kubectl.RunAsync(kubectl, kubeconfig, ct, "create", "rolebinding", "ok", "-n", ns, "--role=reader", "--user=dave")).ExitCode.Should().Be(0);
        var binding = await Kubectl.RunAsync(kubectl, kubeconfig, ct, "create", "rolebinding", "too-much", "-n", ns, "--clusterrole=admin", "--user=dave");
        binding.ExitCode.Should().Be(1);
        binding.Stderr.Should().Contain("rolebindings.rbac.authorization.k8s.io \"too-much\" is forbidden: user \"carol\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:");
    }

    [Fact]
    public async Task NonResourcePath_ForAUserWithoutDiscovery_IsForbiddenInKubeApiserversWords()
    {
        var ct = TestContext.Current.CancellationToken;

        // Only system:authenticated carries discovery; a user is always in it, so deny via a path no role names.
        var (cert, key) = await IssueUserAsync("carol", [], ct);
        using var http = ClientCertificates.Client(cert, key);

        var metrics = await http.GetAsync($"{server.Url}/metrics", ct);
        metrics.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await metrics.Content.ReadAsStringAsync(ct)).Should().Be("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"carol\" cannot get path \"/metrics\"","reason":"Forbidden","code":403}""");
        (await http.GetAsync($"{server.Url}/apis", ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await http.GetAsync($"{server.Url}/api/v1/namespaces/default/pods/x", ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    private Task<(string Cert, string Key)> IssueUserAsync(string user, string[] groups, CancellationToken ct) => ClientCertificates.IssueAsync(server, user, groups, ct);

    /// <summary>The admin kubeconfig with the user's certificate and key in place of the admin's.</summary>
    private async Task<string> KubeconfigForAsync(string user, string cert, string key, CancellationToken ct)
    {
        string Data(string path) => Convert.ToBase64String(File.ReadAllBytes(path));
        var admin = await File.ReadAllTextAsync(server.Kubeconfig, ct);
        var text = Regex.Replace(admin, "client-certificate-data: .*", "client-certificate-data: " + Data(cert));
        text = Regex.Replace(text, "client-key-data: .*", "client-key-data: " + Data(key));
        text.Should().NotBe(admin);
        var path = Path.Combine(server.Root.FullName, user + ".kubeconfig");
        await File.WriteAllTextAsync(path, text, ct);
        return path;
    }

    private Task<KubectlResult> Admin(string kubectl, CancellationToken ct, params string[] args) => Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, args);

    private async Task ApplyAsync(string kubectl, string yaml, CancellationToken ct)
    {
        var file = Path.Combine(server.Root.FullName, $"rbac-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml, ct);
        var result = await Admin(kubectl, ct, "apply", "-f", file);
        result.ExitCode.Should().Be(0, result.Stderr + server.Log);
    }
}
