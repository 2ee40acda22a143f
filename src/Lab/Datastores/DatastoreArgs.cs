namespace K3sLab.Lab.Datastores;

/// <summary>
/// Checks extra <c>k3s server</c> flags (<c>--k3s-server-arg</c>) against the datastore the lab sets up, so a flag
/// the lab sets itself, or one that contradicts the topology, is refused with one sentence instead of making servers
/// that fail to start or quietly use another store.
/// </summary>
public static class DatastoreArgs
{
    /// <summary>The flags the lab sets for an external datastore (etcd or PostgreSQL).</summary>
    private static readonly string[] ExternalOwned = ["--datastore-endpoint", "--datastore-cafile", "--datastore-certfile", "--datastore-keyfile"];

    /// <summary>Flags that make or join an embedded store, which an external datastore replaces.</summary>
    private static readonly string[] EmbeddedOnly = ["--cluster-init", "--server", "-s", "--disable-etcd", "--cluster-reset", "--cluster-reset-restore-path"];

    /// <summary>The role flags the lab gives split topology's etcd-only servers.</summary>
    private static readonly string[] SplitOwned = ["--disable-apiserver", "--disable-controller-manager", "--disable-scheduler"];

    /// <summary>Why <paramref name="serverArgs"/> cannot be used with <paramref name="datastore"/> (already resolved), or null when they can.</summary>
    public static string? Conflict(LabDatastore datastore, IReadOnlyList<string> serverArgs)
    {
        var flags = serverArgs.Where(a => a.StartsWith('-')).Select(a => a.Split('=', 2)[0]).ToList();
        var word = LabDatastores.Word(datastore);
        if (datastore == LabDatastore.Split)
        {
            return flags.FirstOrDefault(f => ExternalOwned.Contains(f, StringComparer.Ordinal) || EmbeddedOnly.Contains(f, StringComparer.Ordinal) || SplitOwned.Contains(f, StringComparer.Ordinal)) is { } owned
                ? $"--k3s-server-arg {owned} conflicts with --topology split: the lab gives the etcd-only servers --cluster-init or --server and the --disable-apiserver/-controller-manager/-scheduler flags, and the control-plane servers --disable-etcd --server, itself"
                : null;
        }
        if (datastore.IsExternal())
        {
            if (flags.FirstOrDefault(f => ExternalOwned.Contains(f, StringComparer.Ordinal)) is { } owned)
            {
                return $"--k3s-server-arg {owned} conflicts with --datastore {word}: the lab points every server at the {word} nodes it starts itself; leave the flag out, or use --datastore sqlite with your own --datastore-endpoint";
            }

            if (flags.FirstOrDefault(f => EmbeddedOnly.Contains(f, StringComparer.Ordinal) || f.StartsWith("--etcd-", StringComparison.Ordinal)) is { } embedded)
            {
                return $"--k3s-server-arg {embedded} belongs to the embedded datastore and conflicts with --datastore {word}: servers on an external datastore neither create nor join an embedded one";
            }

            return null;
        }

        if (datastore == LabDatastore.Embedded && flags.FirstOrDefault(f => ExternalOwned.Contains(f, StringComparer.Ordinal)) is { } endpoint)
        {
            return $"--k3s-server-arg {endpoint} conflicts with the embedded datastore: use --datastore etcd or --datastore postgres for an external one";
        }

        return null;
    }
}
