using System.Globalization;

namespace K3sLab.K3s.Kubelet;

/// <summary>Kubernetes' timestamp formats: RFC 3339 seconds (<c>metav1.Time</c>) and microseconds (<c>MicroTime</c>, Leases).</summary>
internal static class Timestamps
{
    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string FormatMicro(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
