using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Server;

/// <summary>
/// Which parts of the control plane a server runs, k3s's split roles: all of them (the default), control-plane-only
/// (<c>--disable-etcd</c>: the API server and controllers over the cluster's embedded datastore, reached as an etcd
/// client) or etcd-only (<c>--disable-apiserver --disable-controller-manager --disable-scheduler</c>: a datastore
/// member and the supervisor endpoints joins need). Pure: the flag rules, checked before anything starts.
/// </summary>
internal static class ServerRoles
{
    /// <summary>Whether this server runs the embedded datastore's API server and controllers over another member's store.</summary>
    public static bool ControlPlaneOnly(ServerSettings settings) => settings.DisableEtcd;

    /// <summary>Whether this server runs a datastore member and no Kubernetes API.</summary>
    public static bool EtcdOnly(ServerSettings settings) => settings.DisableApiServer;

    /// <summary>
    /// The refusal for a combination of flags, or null when the combination runs. k3s's own rules come first, with its
    /// words (<c>pkg/cli/server/server.go</c>); then the combinations k3s accepts but this build does not run, each
    /// saying what to change.
    /// </summary>
    public static string? Refusal(ServerSettings settings, bool hasEmbeddedData)
    {
        if (settings.DisableEtcd && settings.ServerUrl is null)
        {
            return "invalid flag use; --server is required with --disable-etcd";
        }

        if (settings.DisableApiServer && settings.DatastoreEndpoint is not null)
        {
            return "invalid flag use; cannot use --disable-apiserver with --datastore-endpoint";
        }

        if (settings.DisableEtcd && settings.DatastoreEndpoint is not null)
        {
            return "invalid flag use; cannot use --disable-etcd with --datastore-endpoint";
        }

        if (settings.DisableEtcd && settings.DisableApiServer)
        {
            return "--disable-etcd with --disable-apiserver leaves this server nothing to run: drop one of them";
        }

        if (settings.DisableEtcd && settings.ClusterReset)
        {
            return "--cluster-reset resets this server's datastore member, and --disable-etcd runs none: reset an etcd server instead";
        }

        if (settings.DisableEtcd && hasEmbeddedData)
        {
            return "this server holds datastore member data (server/db/etcd) but was started with --disable-etcd: remove the member (etcdctl member remove) and its server/db/etcd first, or start it without --disable-etcd";
        }

        if (settings.DisableApiServer && !hasEmbeddedData && !settings.ClusterInit && settings.ServerUrl is null)
        {
            return "--disable-apiserver runs an etcd-only server, which needs the embedded datastore: add --cluster-init to start a cluster or --server and --token to join one";
        }

        if (settings.DisableApiServer && !(settings.Controllers.DisableControllerManager && settings.Controllers.DisableScheduler))
        {
            return "this build runs the controller manager and scheduler only beside an API server: with --disable-apiserver also give --disable-controller-manager and --disable-scheduler";
        }

        return null;
    }

    /// <summary>Throws k3s's refusal, if any, as a <see cref="BootstrapException"/>.</summary>
    public static void Check(ServerSettings settings, bool hasEmbeddedData)
    {
        if (Refusal(settings, hasEmbeddedData) is { } refusal)
        {
            throw new BootstrapException(refusal);
        }
    }
}
