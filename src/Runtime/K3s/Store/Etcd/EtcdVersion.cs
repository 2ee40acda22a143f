using System.Globalization;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>What a member's reported version (Maintenance.Status) tells the client. Pure.</summary>
internal static class EtcdVersion
{
    /// <summary>
    /// True when the member orders a requested progress notification after every event it covers. etcd before
    /// 3.4.31 and 3.5.13 could send it ahead of events still queued for the watch (etcd issue 15220); kube-apiserver
    /// refuses to rely on progress notifications from those versions, and so does this client.
    /// </summary>
    public static bool OrdersProgressNotifications(string version)
    {
        var parts = version.Split('.', '-', '+');
        if (parts.Length < 3
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var patch))
        {
            return false;
        }

        return (major, minor) switch
        {
            (3, 4) => patch >= 31,
            (3, 5) => patch >= 13,
            (3, < 4) => false,
            _ => major >= 3,
        };
    }
}
