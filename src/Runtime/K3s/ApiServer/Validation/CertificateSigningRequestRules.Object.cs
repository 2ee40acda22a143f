using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Certificates;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary><c>validateCertificateSigningRequest</c>: the rules every create and update of the object obeys.</summary>
internal static partial class CertificateSigningRequestRules
{
    private const string LegacyUnknownSigner = "kubernetes.io/legacy-unknown";
    private const int MinExpirationSeconds = 600;
    private const int MaxDomainLength = 253;
    private const int MaxSignerNameLength = MaxDomainLength + (253 + 63 + 1) + 1;

    private static readonly HashSet<string> KnownUsages = new(StringComparer.Ordinal)
    {
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
        "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
        "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
        "microsoft sgc", "netscape sgc",
    };

    private static readonly string[] SortedUsages = [.. KnownUsages.Order(StringComparer.Ordinal)];

    private static void Object(JsonObject csr, Options options, FieldErrorList errors)
    {
        var spec = csr.Obj("spec");
        var request = CertificateRequestPem.Bytes(spec, "request");
        if (CertificateRequestPem.Parse(request).Error is { } problem)
        {
            errors.Invalid("spec.request", ByteSlice(spec, request), problem);
        }

        var usages = spec.Arr("usages");
        if (usages is not { Count: > 0 })
        {
            errors.Required("spec.usages");
        }

        var values = usages.Items().Select(u => (u.Index, Usage: JsonFields.AsString(u.Item) ?? string.Empty)).ToList();
        foreach (var (i, usage) in values.Where(_ => !options.UnknownUsages).Where(u => !KnownUsages.Contains(u.Usage)))
        {
            errors.NotSupported($"spec.usages[{i}]", usage, SortedUsages);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, usage) in values.Where(u => !seen.Add(u.Usage) && !options.DuplicateUsages))
        {
            errors.Duplicate($"spec.usages[{i}]", usage);
        }

        var signer = spec.Str("signerName") ?? string.Empty;
        if (!options.LegacySignerName && signer == LegacyUnknownSigner)
        {
            errors.Invalid("spec.signerName", signer, "the legacy signerName is not allowed via this API version");
        }
        else
        {
            SignerName(signer, "spec.signerName", errors);
        }

        if (spec.Long("expirationSeconds") is { } expiration and < MinExpirationSeconds)
        {
            errors.Invalid("spec.expirationSeconds", expiration, "may not specify a duration less than 600 seconds (10 minutes)");
        }

        Conditions(csr.Obj("status").Arr("conditions"), options, errors);
        if (!options.ArbitraryCertificate && CertificateProblem(CertificateRequestPem.Bytes(csr.Obj("status"), "certificate")) is { } bad)
        {
            errors.Invalid("status.certificate", "<certificate data>", bad);
        }
    }

    private static void Conditions(JsonArray? conditions, Options options, FieldErrorList errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var (approved, denied) = (false, false);
        foreach (var (i, condition) in conditions.Items())
        {
            var at = $"status.conditions[{i}]";
            var type = condition.Str("type") ?? string.Empty;
            if (!options.EmptyConditionType && type.Length == 0)
            {
                errors.Required($"{at}.type");
            }

            var trueOnly = type is CertificateSigningRequestStrategy.Approved or CertificateSigningRequestStrategy.Denied or CertificateSigningRequestStrategy.Failed;
            var status = condition.Str("status") ?? string.Empty;
            if (status.Length == 0)
            {
                errors.Required($"{at}.status");
            }
            else if (trueOnly ? status != "True" : status is not ("True" or "False" or "Unknown"))
            {
                errors.NotSupported($"{at}.status", status, trueOnly ? ["True"] : ["False", "True", "Unknown"]);
            }

            if (!options.BothApprovedAndDenied)
            {
                approved |= type == CertificateSigningRequestStrategy.Approved;
                denied |= type == CertificateSigningRequestStrategy.Denied;
                if ((type == CertificateSigningRequestStrategy.Approved && denied) || (type == CertificateSigningRequestStrategy.Denied && approved))
                {
                    errors.Invalid($"{at}.type", type, "Approved and Denied conditions are mutually exclusive");
                }
            }

            if (!seen.Add(type) && !options.DuplicateConditionTypes)
            {
                errors.Duplicate($"{at}.type", type);
            }
        }
    }

    /// <summary>
    /// <c>ValidateSignerName</c>: <c>domain.example/path</c>, the domain of at least two RFC 1123 labels, the path of
    /// RFC 1123 subdomains separated by dots; the first bad label of each part is reported.
    /// </summary>
    internal static void SignerName(string signer, string field, FieldErrorList errors)
    {
        if (signer.Length == 0)
        {
            errors.Required(field);
            return;
        }

        var segments = signer.Split('/');
        if (segments.Length != 2)
        {
            errors.Invalid(field, signer, "must be a fully qualified domain and path of the form 'example.com/signer-name'");
            return;
        }

        var (domain, path) = (segments[0], segments[1]);
        if (Encoding.UTF8.GetByteCount(domain) > MaxDomainLength)
        {
            errors.TooLong(field, MaxDomainLength);
        }

        var domainLabels = domain.Split('.');
        FirstBadLabel(domainLabels, domain, Formats.Dns1123Label, field, errors);
        if (domainLabels.Length < 2)
        {
            errors.Invalid(field, domain, "should be a domain with at least two segments separated by dots");
        }

        FirstBadLabel(path.Split('.'), path, Formats.Dns1123Subdomain, field, errors);
        if (Encoding.UTF8.GetByteCount(signer) > MaxSignerNameLength)
        {
            errors.TooLong(field, MaxSignerNameLength);
        }
    }

    private static void FirstBadLabel(string[] labels, string part, Func<string, List<string>> check, string field, FieldErrorList errors)
    {
        foreach (var label in labels)
        {
            var problems = check(label);
            if (problems.Count > 0)
            {
                errors.InvalidEach(field, part, problems.Select(p => $"validating label {GoValue.Quote(label)}: {p}"));
                return;
            }
        }
    }

    /// <summary><c>validateCertificate</c>: empty, or PEM with only CERTIFICATE blocks that parse as X.509, at least one.</summary>
    private static string? CertificateProblem(byte[]? pem)
    {
        if (pem is not { Length: > 0 })
        {
            return null;
        }

        var blocks = 0;
        foreach (var (label, der) in CertificateRequestPem.Blocks(pem))
        {
            if (label != "CERTIFICATE")
            {
                return $"only CERTIFICATE PEM blocks are allowed, found {GoValue.Quote(label)}";
            }

            blocks++;
            try
            {
                using var certificate = X509CertificateLoader.LoadCertificate(der);
            }
            catch (CryptographicException)
            {
                return "x509: malformed certificate";
            }
        }

        return blocks == 0 ? "must contain at least one CERTIFICATE PEM block" : null;
    }

    /// <summary>A <c>[]byte</c> as Go's <c>%#v</c> prints it: <c>[]byte{0x2d, 0x2d}</c>, or <c>[]byte(nil)</c> when absent.</summary>
    private static GoValue ByteSlice(JsonObject? spec, byte[]? bytes) =>
        bytes is null && spec.Str("request") is null
            ? new GoValue("[]byte(nil)")
            : new GoValue("[]byte{" + string.Join(", ", (bytes ?? []).Select(b => "0x" + b.ToString("x", CultureInfo.InvariantCulture))) + "}");
}
