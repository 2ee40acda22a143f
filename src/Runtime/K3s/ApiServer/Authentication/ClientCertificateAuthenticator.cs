using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.ApiServer.Authentication;

/// <summary>
/// Authenticates a request by its TLS client certificate, as kube-apiserver's x509 authenticator does: the
/// certificate must chain to the client CA and be valid now; the user is its CN and the groups are its O values.
/// A certificate from any other CA authenticates nobody (the request then gets 401, not a failed handshake).
/// </summary>
internal sealed class ClientCertificateAuthenticator(CertificateAuthority clientCa)
{
    public UserInfo? Authenticate(X509Certificate2? certificate)
    {
        if (certificate is null || !clientCa.Verifies(certificate))
        {
            return null;
        }

        string? user = null;
        var groups = new List<string>();
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            switch (rdn.GetSingleElementType().Value)
            {
                case "2.5.4.3":
                    user = rdn.GetSingleElementValue();
                    break;
                case "2.5.4.10" when rdn.GetSingleElementValue() is { } group:
                    groups.Add(group);
                    break;
            }
        }

        return string.IsNullOrEmpty(user) ? null : new UserInfo(user, [.. groups, "system:authenticated"]);
    }
}
