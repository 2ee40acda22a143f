using System.Net;
using System.Text;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// The node authorizer on a real server: a kubelet's identity (<c>system:node:&lt;name&gt;</c> in
/// <c>system:nodes</c>) may write its own Node and Lease, not another node's, and may read a secret only while a pod
/// bound to it uses that secret, as kube-apiserver's graph-based authorizer decides.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class NodeAuthorizerTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    [Fact]
    public async Task Kubelet_TouchesItsOwnNodeAndLease_AndReadsOnlyTheSecretsOfItsPods()
    {
        var ct = TestContext.Current.CancellationToken;
        var (cert, key) = await ClientCertificates.IssueAsync(server, "system:node:worker-1", ["system:nodes"], ct);
        using var kubelet = ClientCertificates.Client(cert, key);
        async Task<HttpStatusCode> Send(HttpMethod method, string path, string? body = null)
        {
            using var request = new HttpRequestMessage(method, server.Url + path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, method == HttpMethod.Patch ? "application/merge-patch+json" : "application/json");
            }

            using var response = await kubelet.SendAsync(request, ct);
            return response.StatusCode;
        }

        (await Send(HttpMethod.Post, "/api/v1/nodes", """{"apiVersion":"v1","kind":"Node","metadata":{"name":"worker-1"}}""")).Should().Be(HttpStatusCode.Created);
        (await Send(HttpMethod.Patch, "/api/v1/nodes/worker-1/status", """{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""")).Should().Be(HttpStatusCode.OK);
        await Admin(ct, "apiVersion: v1\nkind: Node\nmetadata: {name: worker-2}\n");
        (await Send(HttpMethod.Patch, "/api/v1/nodes/worker-2/status", """{"status":{"conditions":[{"type":"Ready","status":"False"}]}}""")).Should().Be(HttpStatusCode.Forbidden);
        (await Send(HttpMethod.Post, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"worker-1"},"spec":{"holderIdentity":"worker-1"}}""")).Should().Be(HttpStatusCode.Created);
        (await Send(HttpMethod.Put, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/worker-2", """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"worker-2"}}""")).Should().Be(HttpStatusCode.Forbidden);
        (await Send(HttpMethod.Get, "/api/v1/pods")).Should().Be(HttpStatusCode.OK, "a kubelet lists pods to find its own");
        (await Send(HttpMethod.Delete, "/api/v1/nodes/worker-2")).Should().Be(HttpStatusCode.Forbidden);
        // NodeRestriction: on a create the name is in the body, and a kubelet may create only its own Node and Lease.
        (await Send(HttpMethod.Post, "/api/v1/nodes", """{"apiVersion":"v1","kind":"Node","metadata":{"name":"worker-3"}}""")).Should().Be(HttpStatusCode.Forbidden);
        (await Send(HttpMethod.Post, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"worker-3"}}""")).Should().Be(HttpStatusCode.Forbidden);

        await Admin(ct, """
            apiVersion: v1
            kind: Namespace
            metadata: {name: node-authz}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: mine, namespace: node-authz}
            stringData: {k: v}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: theirs, namespace: node-authz}
            stringData: {k: v}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: on-worker-1, namespace: node-authz}
            spec:
              nodeName: worker-1
              containers: [{name: app, image: busybox}]
              volumes: [{name: s, secret: {secretName: mine}}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: on-worker-2, namespace: node-authz}
            spec:
              nodeName: worker-2
              containers: [{name: app, image: busybox}]
              volumes: [{name: s, secret: {secretName: theirs}}]
            """);

        (await Eventually.UntilAsync(() => Send(HttpMethod.Get, "/api/v1/namespaces/node-authz/secrets/mine"), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10), ct)).Should().Be(HttpStatusCode.OK);
        (await Send(HttpMethod.Get, "/api/v1/namespaces/node-authz/secrets/theirs")).Should().Be(HttpStatusCode.Forbidden);
        (await Send(HttpMethod.Get, "/api/v1/namespaces/node-authz/secrets")).Should().Be(HttpStatusCode.Forbidden, "a kubelet may not list secrets");
        (await Send(HttpMethod.Patch, "/api/v1/namespaces/node-authz/pods/on-worker-1/status", """{"status":{"phase":"Running"}}""")).Should().Be(HttpStatusCode.OK);
        (await Send(HttpMethod.Patch, "/api/v1/namespaces/node-authz/pods/on-worker-2/status", """{"status":{"phase":"Running"}}""")).Should().Be(HttpStatusCode.Forbidden);

        (await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "delete", "pod", "on-worker-1", "-n", "node-authz")).ExitCode.Should().Be(0);
        (await Eventually.UntilAsync(() => Send(HttpMethod.Get, "/api/v1/namespaces/node-authz/secrets/mine"), s => s == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(10), ct))
            .Should().Be(HttpStatusCode.Forbidden, "the pod that used the secret is gone");
    }

    private async Task Admin(CancellationToken ct, string yaml)
    {
        var file = Path.Combine(server.Root.FullName, $"node-authz-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml, ct);
        var result = await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "apply", "-f", file);
        result.ExitCode.Should().Be(0, result.Stderr + server.Log);
    }
}
