using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K3sLab.ConformanceTests.Server;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// The CertificateSigningRequest workflow a k3s user follows to give a teammate a credential, with kubectl 1.27 and
/// 1.33 (which sends the request as protobuf): the requester is recorded from the connection, <c>kubectl get csr</c>
/// prints kube's columns, <c>kubectl certificate approve</c> and <c>deny</c> set the conditions, the controller
/// manager's signer issues a certificate from the cluster's client CA with the requested lifetime, and that
/// certificate logs in as its subject, held to RBAC like any user. Refusals use kube's words: a lifetime under ten
/// minutes, <c>system:masters</c> from the client signer, approving without leave to approve for the signer, and a
/// kubelet-serving request whose subject is not a node's.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class CertificateSigningRequestTests : IAsyncLifetime
{
    private const string ClientSigner = "kubernetes.io/kube-apiserver-client";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);
    private readonly LoopbackCluster _cluster = new("k3slab-csr-");

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Approve_Sign_LogIn_Deny_AndRefusals()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("s1", 61);
        server.Start();
        await server.WaitListeningAsync(TimeSpan.FromSeconds(60), ct);
        var tls = Path.Combine(server.DataDir, "server", "tls");
        using var clientCa = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(tls, "client-ca.crt"), ct));

        // Denied first, so that by the time a later request is issued the signer has long seen this one.
        await CreateAsync(server, "1.33", Request("mallory", "mallory", [], ClientSigner, 3600, out _), ct);
        var denied = await server.KubectlAsync(ct, "certificate", "deny", "mallory");
        denied.ExitCode.Should().Be(0, denied.Stderr);

        foreach (var version in Kubectl.SupportedVersions)
        {
            var user = "jane-" + version.Replace(".", string.Empty, StringComparison.Ordinal);
            await CreateAsync(server, version, Request(user, user, ["lab-devs"], ClientSigner, 3600, out var key), ct);

            var stored = await GetAsync(server, user, ct);
            stored["spec"]!["username"]!.GetValue<string>().Should().Be("system:admin", "the requester comes from the connection");
            stored["spec"]!["groups"]!.AsArray().Select(g => g!.GetValue<string>()).Should().Contain(["system:masters", "system:authenticated"]);
            var pending = await server.KubectlAsync(version, ct, "get", "csr", user, "--no-headers");
            Collapse(pending.Stdout).Should().MatchRegex($@"^{user} [0-9]+s {Regex.Escape(ClientSigner)} system:admin 60m Pending$");

            var approved = await server.KubectlAsync(version, ct, "certificate", "approve", user);
            approved.ExitCode.Should().Be(0, approved.Stderr);
            approved.Stdout.Trim().Should().Be($"certificatesigningrequest.certificates.k8s.io/{user} approved");
            var issued = await Eventually.UntilAsync(() => GetAsync(server, user, ct), csr => csr["status"]?["certificate"] is not null, Within, ct);
            var condition = issued["status"]!["conditions"]!.AsArray().Single()!;
            condition["type"]!.GetValue<string>().Should().Be("Approved");
            condition["reason"]!.GetValue<string>().Should().Be("KubectlApprove");
            condition["lastUpdateTime"].Should().NotBeNull();
            Collapse((await server.KubectlAsync(version, ct, "get", "csr", user, "--no-headers")).Stdout).Should().EndWith(" Approved,Issued");

            using var certificate = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(issued["status"]!["certificate"]!.GetValue<string>())));
            certificate.SubjectName.Name.Should().Be($"CN={user}, O=lab-devs", "the subject is the request's, as it was written");
            certificate.IssuerName.Name.Should().Be(clientCa.SubjectName.Name);
            certificate.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo().Should().Equal(key.ExportSubjectPublicKeyInfo());
            (certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow).Should().BeCloseTo(TimeSpan.FromHours(1), TimeSpan.FromMinutes(2));
            using (var chain = new X509Chain())
            {
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(clientCa);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.Build(certificate).Should().BeTrue(string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
            }

            // The certificate logs in as its subject, with no more rights than RBAC gives it.
            var kubeconfig = await KubeconfigForAsync(server, user, certificate, key, ct);
            // kubectl 1.27 asks for SelfSubjectReview at v1beta1, which a 1.33 server no longer serves.
            var whoami = await Kubectl.RunAsync("1.33", kubeconfig, ct, "auth", "whoami", "-o", "json");
            whoami.ExitCode.Should().Be(0, whoami.Stderr);
            var review = JsonNode.Parse(whoami.Stdout)!["status"]!["userInfo"]!;
            review["username"]!.GetValue<string>().Should().Be(user);
            review["groups"]!.AsArray().Select(g => g!.GetValue<string>()).Should().Equal("lab-devs", "system:authenticated");
            (await Kubectl.RunAsync(version, kubeconfig, ct, "get", "pods")).Stderr.Should().Contain($"User \"{user}\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"");
        }

        var mallory = await GetAsync(server, "mallory", ct);
        mallory["status"]!["conditions"]!.AsArray().Single()!["type"]!.GetValue<string>().Should().Be("Denied");
        mallory["status"]!["certificate"].Should().BeNull("a denied request is never signed");
        Collapse((await server.KubectlAsync(ct, "get", "csr", "mallory", "--no-headers")).Stdout).Should().EndWith(" Denied");

        // kube's refusals, in its words.
        var tooShort = await CreateAsync(server, "1.33", Request("brief", "brief", [], ClientSigner, 300, out _), ct, expectRefusal: true);
        tooShort.Stderr.Should().Contain("spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 600 seconds (10 minutes)");
        var masters = await CreateAsync(server, "1.33", Request("root", "root", ["system:masters"], ClientSigner, 3600, out _), ct, expectRefusal: true);
        masters.Stderr.Should().Contain($"use of {ClientSigner} signer with system:masters group is not allowed");

        // Leave to update the approval subresource is not leave to approve for a signer.
        await server.ApplyAsync("""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: csr-clerk}
            rules:
            - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create, get, list, watch]}
            - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: csr-clerk}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: csr-clerk}
            subjects:
            - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: lab-devs}
            """, ct);
        await CreateAsync(server, "1.33", Request("intern", "intern", [], ClientSigner, 3600, out _), ct);
        var clerk = Path.Combine(Path.GetDirectoryName(server.Kubeconfig)!, "jane-133.kubeconfig");
        var refused = await Eventually.UntilAsync(() => Kubectl.RunAsync("1.33", clerk, ct, "certificate", "approve", "intern"), r => r.Stderr.Contains("user not permitted"), Within, ct);
        refused.Stderr.Should().Contain($"certificatesigningrequests.certificates.k8s.io \"intern\" is forbidden: user not permitted to approve requests with signerName \"{ClientSigner}\"");
        await server.ApplyAsync("""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: lab-devs-approve-clients}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:certificates.k8s.io:kube-apiserver-client-approver"}
            subjects:
            - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: lab-devs}
            """, ct);
        var allowed = await Eventually.UntilAsync(() => Kubectl.RunAsync("1.33", clerk, ct, "certificate", "approve", "intern"), r => r.ExitCode == 0, Within, ct);
        allowed.ExitCode.Should().Be(0, allowed.Stderr);
        await Eventually.UntilAsync(() => GetAsync(server, "intern", ct), csr => csr["status"]?["certificate"] is not null, Within, ct);

        // The kubelet-serving signer only signs for nodes: anything else fails once approved.
        await CreateAsync(server, "1.33", Request("not-a-node", "web.example", [], "kubernetes.io/kubelet-serving", 3600, out _, usages: ["digital signature", "server auth"]), ct);
        (await server.KubectlAsync(ct, "certificate", "approve", "not-a-node")).ExitCode.Should().Be(0);
        var failed = await Eventually.UntilAsync(() => GetAsync(server, "not-a-node", ct), csr => csr["status"]?["conditions"]?.AsArray().Any(c => c?["type"]?.GetValue<string>() == "Failed") == true, Within, ct);
        failed["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Failed")!["reason"]!.GetValue<string>().Should().Be("SignerValidationFailure");
        failed["status"]!["certificate"].Should().BeNull();
        Collapse((await server.KubectlAsync(ct, "get", "csr", "not-a-node", "--no-headers")).Stdout).Should().EndWith(" Approved,Failed");
    }

    private static string Request(string name, string commonName, string[] organizations, string signerName, int expirationSeconds, out ECDsa key, string[]? usages = null)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new StringBuilder($"CN={commonName}");
        foreach (var organization in organizations)
        {
            subject.Append($", O={organization}");
        }

        var pem = new CertificateRequest(subject.ToString(), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        return $$"""
            apiVersion: certificates.k8s.io/v1
            kind: CertificateSigningRequest
            metadata: {name: {{name}}}
            spec:
              request: {{Convert.ToBase64String(Encoding.ASCII.GetBytes(pem))}}
              signerName: {{signerName}}
              expirationSeconds: {{expirationSeconds}}
              usages: [{{string.Join(", ", usages ?? ["client auth"])}}]
            """;
    }

    /// <summary><c>kubectl create -f</c> (kubectl 1.33 sends the object as protobuf).</summary>
    private static async Task<KubectlResult> CreateAsync(ServerNode server, string version, string yaml, CancellationToken ct, bool expectRefusal = false)
    {
        var file = Path.Combine(Path.GetDirectoryName(server.Kubeconfig)!, $"csr-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml, ct);
        var result = await server.KubectlAsync(version, ct, "create", "-f", file);
        (result.ExitCode != 0).Should().Be(expectRefusal, result.Stderr);
        return result;
    }

    private static async Task<JsonObject> GetAsync(ServerNode server, string name, CancellationToken ct)
    {
        var got = await server.KubectlAsync(ct, "get", "csr", name, "-o", "json");
        got.ExitCode.Should().Be(0, got.Stderr);
        return (JsonObject)JsonNode.Parse(got.Stdout)!;
    }

    /// <summary>The server's admin kubeconfig with the user's certificate and key in place of the admin's.</summary>
    private static async Task<string> KubeconfigForAsync(ServerNode server, string user, X509Certificate2 certificate, ECDsa key, CancellationToken ct)
    {
        var admin = await File.ReadAllTextAsync(server.Kubeconfig, ct);
        var text = Regex.Replace(admin, "client-certificate-data: .*", "client-certificate-data: " + Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem())));
        text = Regex.Replace(text, "client-key-data: .*", "client-key-data: " + Convert.ToBase64String(Encoding.ASCII.GetBytes(key.ExportECPrivateKeyPem())));
        text = Regex.Replace(text, "server: .*", "server: " + server.Url);
        var path = Path.Combine(Path.GetDirectoryName(server.Kubeconfig)!, user + ".kubeconfig");
        await File.WriteAllTextAsync(path, text, ct);
        return path;
    }

    private static string Collapse(string row) => Regex.Replace(row.Trim(), @"\s+", " ");
}
