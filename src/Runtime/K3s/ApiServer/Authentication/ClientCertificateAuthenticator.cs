using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.ApiServer.Authentication;

/// <summary>
/// Authenticates a request by its TLS client certificate, as kube-apiserver's x509 authenticator does: the
/// certificate must chain to the client CA and be valid now; the user is its CN and the groups are its O values.
/// A certificate from any other CA authenticates nobody (the request then gets 401, not a failed handshake).
/// A connection presents the same certificate object on every request, so the chain is verified once per
/// certificate object and the answer kept with it (only the validity period is checked again each time).
/// </summary>
internal sealed class ClientCertificateAuthenticator(CertificateAuthority clientCa, TimeProvider time)
{
    private readonly ConditionalWeakTable<X509Certificate2, Verdict> _verdicts = [];

    public UserInfo? Authenticate(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return null;
        }

        var verdict = _verdicts.GetValue(certificate, c => new Verdict(Verify(c), c.NotBefore.ToUniversalTime(), c.NotAfter.ToUniversalTime()));
        var now = time.GetUtcNow().UtcDateTime;
        return now >= verdict.NotBefore && now <= verdict.NotAfter ? verdict.User : null;
    }

    private UserInfo? Verify(X509Certificate2 certificate)
    {
        if (!clientCa.Verifies(certificate))
        {
            return null;
        }

        // As kube's x509 authenticator: the subject's common name is the user, its organizations the groups.
        var (user, groups) = SubjectName.Of(certificate.SubjectName);
        return string.IsNullOrEmpty(user) ? null : new UserInfo(user, [.. groups, "system:authenticated"]);
    }

    private sealed record Verdict(UserInfo? User, DateTime NotBefore, DateTime NotAfter);
}
