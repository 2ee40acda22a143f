using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// What a pod needs to talk to the API server, end to end: the root CA publisher keeps <c>kube-root-ca.crt</c> in
/// every namespace (and restores it), the serviceaccount controller the <c>default</c> account, and the kubelet fills
/// a projected volume as the ServiceAccount admission plugin writes it (<c>kube-api-access</c>) with a token bound
/// to the pod that the API server accepts, the CA that verifies the API server, and the namespace.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ServiceAccountAccessTests(ControllersServer fixture) : IClassFixture<ControllersServer>
{
    [Fact]
    public async Task ProjectedVolume_KubeApiAccess_GivesATokenTheApiServerAccepts_TheCaThatVerifiesIt_AndTheNamespace()
    {
        var ct = TestContext.Current.CancellationToken;
        var serverCa = await File.ReadAllTextAsync(Path.Combine(fixture.Server.DataDir, "server", "tls", "server-ca.crt"), ct);

        // The root CA publisher puts kube-root-ca.crt in every namespace, and puts it back when it is deleted or changed.
        await fixture.KubectlAsync(ct, "create", "namespace", "projected");
        var published = await Eventually.UntilAsync(() => fixture.GetAsync(ct, "configmap", "kube-root-ca.crt", "-n", "projected"), c => c is not null, TimeSpan.FromSeconds(30), ct);
        ControllersServer.At(published, "data", "ca.crt").Should().Be(serverCa, fixture.Server.Log);
        published!["metadata"]!["annotations"]!["kubernetes.io/description"]!.GetValue<string>().Should().StartWith("Contains a CA bundle that can be used to verify the kube-apiserver");
        await fixture.KubectlAsync(ct, "patch", "configmap", "kube-root-ca.crt", "-n", "projected", "--type=merge", "-p", """{"data":{"ca.crt":"tampered","extra":"x"}}""");
        var restored = await Eventually.UntilAsync(() => fixture.GetAsync(ct, "configmap", "kube-root-ca.crt", "-n", "projected"), c => ControllersServer.At(c, "data", "ca.crt") == serverCa, TimeSpan.FromSeconds(30), ct);
        restored!["data"]!.AsObject().Select(p => p.Key).Should().Equal(["ca.crt"], "the publisher writes its data back whole");
        await fixture.KubectlAsync(ct, "delete", "configmap", "kube-root-ca.crt", "-n", "projected");
        var recreated = await Eventually.UntilAsync(() => fixture.GetAsync(ct, "configmap", "kube-root-ca.crt", "-n", "projected"), c => c is not null && ControllersServer.At(c, "metadata", "uid") != ControllersServer.At(published, "metadata", "uid"), TimeSpan.FromSeconds(30), ct);
        ControllersServer.At(recreated, "data", "ca.crt").Should().Be(serverCa);

        await fixture.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: api-access, namespace: projected}
            spec:
              nodeName: {{ControllersServer.NodeName}}
              restartPolicy: Never
              volumes:
              - name: kube-api-access-test
                projected:
                  defaultMode: 420
                  sources:
                  - serviceAccountToken: {expirationSeconds: 3607, path: token}
                  - configMap:
                      name: kube-root-ca.crt
                      items: [{key: ca.crt, path: ca.crt}]
                  - downwardAPI:
                      items: [{path: namespace, fieldRef: {apiVersion: v1, fieldPath: metadata.namespace} }]
              containers:
              - name: app
                image: busybox
                command: [sh, -c, 'd=/k3slab-test/sa; cat $d/namespace; echo; head -n 1 $d/ca.crt; wc -c < $d/token; stat -L -c %a $d/token; readlink $d/token']
                volumeMounts: [{name: kube-api-access-test, mountPath: /k3slab-test/sa, readOnly: true}]
            """, ct);
        var pod = await Eventually.UntilAsync(() => fixture.GetAsync(ct, "pod", "api-access", "-n", "projected"), p => ControllersServer.At(p, "status", "phase") is "Succeeded" or "Failed", TimeSpan.FromSeconds(60), ct);
        ControllersServer.At(pod, "status", "phase").Should().Be("Succeeded", $"{pod}\n{fixture.Server.Log}");
        var uid = ControllersServer.At(pod, "metadata", "uid")!;
        var log = File.ReadAllText(fixture.Server.ContainerLog("projected", "api-access", uid, "app"));
        // The token is a link through ..data, as the kubelet's atomic writer lays a volume out; the file has 0644.
        log.Should().ContainAll("F projected\n", "F -----BEGIN CERTIFICATE-----\n", "F 644\n", "F ..data/token\n");

        // The token the kubelet wrote, presented over TLS verified by nothing but the volume's ca.crt.
        var volume = Path.Combine(fixture.Server.DataDir, "agent", "pods", uid, "volumes", "kubernetes.io~projected", "kube-api-access-test");
        var token = await File.ReadAllTextAsync(Path.Combine(volume, "token"), ct);
        using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(volume, "ca.crt"), ct));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { ca }, RevocationMode = X509RevocationMode.NoCheck };
        using var http = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{fixture.Server.Url}/apis/authentication.k8s.io/v1/selfsubjectreviews")
        {
            Content = new StringContent("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        ((int)response.StatusCode).Should().Be(201, body);
        var user = JsonNode.Parse(body)!["status"]!["userInfo"]!;
        user["username"]!.GetValue<string>().Should().Be("system:serviceaccount:projected:default");
        var account = await fixture.GetAsync(ct, "serviceaccount", "default", "-n", "projected");
        user["uid"]!.GetValue<string>().Should().Be(ControllersServer.At(account, "metadata", "uid"), "the user's uid is the service account's");
        var node = await fixture.GetAsync(ct, "node", ControllersServer.NodeName);
        var extra = user["extra"]!.AsObject();
        extra.Select(p => p.Key).Should().Equal(
            ["authentication.kubernetes.io/credential-id", "authentication.kubernetes.io/node-name", "authentication.kubernetes.io/node-uid", "authentication.kubernetes.io/pod-name", "authentication.kubernetes.io/pod-uid"],
            "kube-apiserver 1.33 names the token's id and the pod and node it is bound to");
        extra["authentication.kubernetes.io/pod-name"]![0]!.GetValue<string>().Should().Be("api-access");
        extra["authentication.kubernetes.io/pod-uid"]![0]!.GetValue<string>().Should().Be(uid);
        extra["authentication.kubernetes.io/node-name"]![0]!.GetValue<string>().Should().Be(ControllersServer.NodeName);
        extra["authentication.kubernetes.io/node-uid"]![0]!.GetValue<string>().Should().Be(ControllersServer.At(node, "metadata", "uid"));
        extra["authentication.kubernetes.io/credential-id"]![0]!.GetValue<string>().Should().StartWith("JTI=");
        var payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        var claims = JsonNode.Parse(Convert.FromBase64String(payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=')))!;
        claims["kubernetes.io"]!["pod"]!["name"]!.GetValue<string>().Should().Be("api-access", "the kubelet asks for a token bound to the pod");
        claims["kubernetes.io"]!["pod"]!["uid"]!.GetValue<string>().Should().Be(uid);
        await fixture.KubectlAsync(ct, "delete", "namespace", "projected", "--timeout=60s");
    }
}
