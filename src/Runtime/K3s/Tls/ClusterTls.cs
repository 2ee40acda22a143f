using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Tls;

/// <summary>
/// The server's certificates under <c>server/tls</c>, with k3s's file names: the three CAs (<c>server-ca</c> signs
/// serving certificates, <c>client-ca</c> signs client certificates, <c>request-header-ca</c> signs front-proxy
/// clients), the API server's serving certificate, the admin client certificate and the API server's kubelet client
/// certificate (<c>client-kube-apiserver</c>), and the controller manager's and scheduler's client certificates
/// (<c>client-controller</c>, <c>client-scheduler</c>) and the service proxy's (<c>client-kube-proxy</c>). Existing files are reused;
/// the serving certificate is reissued when it lacks a requested name or is within 90 days of expiry.
/// </summary>
internal sealed class ClusterTls : IDisposable
{
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(90);

    private ClusterTls(CertificateAuthority serverCa, CertificateAuthority clientCa, CertificateAuthority requestHeaderCa, X509Certificate2 serving, X509Certificate2 admin, X509Certificate2 kubeletClient, X509Certificate2 controller, X509Certificate2 scheduler, X509Certificate2 kubeProxy)
    {
        KubeProxy = kubeProxy;
        Controller = controller;
        Scheduler = scheduler;
        KubeletClient = kubeletClient;
        ServerCa = serverCa;
        ClientCa = clientCa;
        RequestHeaderCa = requestHeaderCa;
        Serving = serving;
        Admin = admin;
    }

    public CertificateAuthority ServerCa { get; }

    public CertificateAuthority ClientCa { get; }

    public CertificateAuthority RequestHeaderCa { get; }

    /// <summary>The API server's serving certificate (<c>serving-kube-apiserver</c>).</summary>
    public X509Certificate2 Serving { get; }

    /// <summary>The admin client certificate (<c>client-admin</c>: CN system:admin, O system:masters).</summary>
    public X509Certificate2 Admin { get; }

    /// <summary>
    /// The API server's client certificate for kubelets (<c>client-kube-apiserver</c>: CN <c>system:kube-apiserver</c>,
    /// O <c>system:masters</c>, as k3s issues it), which the kubelet API lets in.
    /// </summary>
    public X509Certificate2 KubeletClient { get; }

    /// <summary>The controller manager's client certificate (<c>client-controller</c>: CN <c>system:kube-controller-manager</c>).</summary>
    public X509Certificate2 Controller { get; }

    /// <summary>The scheduler's client certificate (<c>client-scheduler</c>: CN <c>system:kube-scheduler</c>).</summary>
    public X509Certificate2 Scheduler { get; }

    /// <summary>The service proxy's client certificate (<c>client-kube-proxy</c>: CN <c>system:kube-proxy</c>), which agents fetch from the supervisor.</summary>
    public X509Certificate2 KubeProxy { get; }

    /// <summary>The DNS names every API serving certificate carries, for the cluster domain.</summary>
    public static IEnumerable<string> KubernetesServiceNames(string clusterDomain) =>
        ["kubernetes", "kubernetes.default", "kubernetes.default.svc", $"kubernetes.default.svc.{clusterDomain}", "localhost"];

    /// <summary>Loads the certificates under <paramref name="tlsDirectory"/>, creating or reissuing what is missing.</summary>
    public static ClusterTls Ensure(string tlsDirectory, IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var serverCa = EnsureCa(tlsDirectory, "server-ca", "k3s-server-ca", time);
        var clientCa = EnsureCa(tlsDirectory, "client-ca", "k3s-client-ca", time);
        var requestHeaderCa = EnsureCa(tlsDirectory, "request-header-ca", "k3s-request-header-ca", time);

        var serving = PemFiles.TryRead(tlsDirectory, "serving-kube-apiserver");
        if (serving is null || !Covers(serving, dnsNames, addresses) || NeedsRenewal(serving, time) || !serverCa.Verifies(serving))
        {
            serving?.Dispose();
            serving = serverCa.IssueServing("kube-apiserver", dnsNames, addresses);
            PemFiles.Write(tlsDirectory, "serving-kube-apiserver", serving);
        }

        var admin = PemFiles.TryRead(tlsDirectory, "client-admin");
        if (admin is null || NeedsRenewal(admin, time) || !clientCa.Verifies(admin))
        {
            admin?.Dispose();
            admin = clientCa.IssueClient("system:admin", ["system:masters"]);
            PemFiles.Write(tlsDirectory, "client-admin", admin);
        }

        var kubeletClient = PemFiles.TryRead(tlsDirectory, "client-kube-apiserver");
        if (kubeletClient is null || NeedsRenewal(kubeletClient, time) || !clientCa.Verifies(kubeletClient))
        {
            kubeletClient?.Dispose();
            using var issued = clientCa.IssueClient("system:kube-apiserver", ["system:masters"]);
            PemFiles.Write(tlsDirectory, "client-kube-apiserver", issued);
            kubeletClient = PemFiles.TryRead(tlsDirectory, "client-kube-apiserver")!;
        }

        var controller = EnsureClient(tlsDirectory, "client-controller", "system:kube-controller-manager", clientCa, time);
        var scheduler = EnsureClient(tlsDirectory, "client-scheduler", "system:kube-scheduler", clientCa, time);
        var kubeProxy = EnsureClient(tlsDirectory, "client-kube-proxy", "system:kube-proxy", clientCa, time);
        return new ClusterTls(serverCa, clientCa, requestHeaderCa, serving, admin, kubeletClient, controller, scheduler, kubeProxy);
    }

    public void Dispose()
    {
        ServerCa.Dispose();
        ClientCa.Dispose();
        RequestHeaderCa.Dispose();
        Serving.Dispose();
        Admin.Dispose();
        KubeletClient.Dispose();
        Controller.Dispose();
        Scheduler.Dispose();
        KubeProxy.Dispose();
    }

    /// <summary>Loads the client certificate <paramref name="file"/>, issuing it (CN <paramref name="user"/>, no groups) when missing, foreign or near expiry.</summary>
    private static X509Certificate2 EnsureClient(string directory, string file, string user, CertificateAuthority clientCa, TimeProvider time)
    {
        var existing = PemFiles.TryRead(directory, file);
        if (existing is not null && !NeedsRenewal(existing, time) && clientCa.Verifies(existing))
        {
            return existing;
        }

        existing?.Dispose();
        using var issued = clientCa.IssueClient(user, []);
        PemFiles.Write(directory, file, issued);
        return PemFiles.TryRead(directory, file)!;
    }

    /// <summary>Loads the CA pair <paramref name="file"/>.crt/.key, or creates and writes one named <paramref name="name"/>.</summary>
    internal static CertificateAuthority EnsureCa(string directory, string file, string name, TimeProvider time)
    {
        if (PemFiles.TryRead(directory, file) is { } existing)
        {
            return new CertificateAuthority(existing, time);
        }

        var created = CertificateAuthority.Create(name, time);
        PemFiles.Write(directory, file, created.Certificate);
        return created;
    }

    /// <summary>Whether a leaf certificate is within 90 days of expiry.</summary>
    internal static bool NeedsRenewal(X509Certificate2 certificate, TimeProvider time) =>
        certificate.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime < RenewBefore;

    /// <summary>Whether the certificate's subject alternative names include every requested name and address.</summary>
    internal static bool Covers(X509Certificate2 certificate, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return false;
        }

        var names = san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var ips = san.EnumerateIPAddresses().ToHashSet();
        return dnsNames.All(names.Contains) && addresses.All(ips.Contains);
    }
}
