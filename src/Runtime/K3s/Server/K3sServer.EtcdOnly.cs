using K3sLab.K3s.Replication;
using K3sLab.K3s.Store;
using K3sLab.K3s.Supervisor;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Server;

internal sealed partial class K3sServer
{
    /// <summary>
    /// An etcd-only server (<c>--disable-apiserver</c>): its datastore member is running; serve the supervisor endpoints
    /// other servers join through (<c>/cacerts</c>, <c>/v1-k3s/config</c>, <c>/v1-k3s/server-bootstrap</c>,
    /// <c>/db/info</c>) and, for agents, <c>/v1-k3s/apiservers</c> from the <c>k3s/apiaddresses</c> key that servers
    /// with an API write, until cancelled. Nothing here touches Kubernetes objects: no namespaces, Service, leases,
    /// controllers or kubelet.
    /// </summary>
    private async Task<int> ServeEtcdOnlyAsync(ReplicatedMember member, ClusterTls tls, ILoggerProvider logging, CancellationToken cancellationToken)
    {
        if (!settings.DisableAgent)
        {
            Log.EtcdOnlyNoKubelet(_logger);
        }

        // The service-account signing key travels in the bootstrap data other servers join with, though nothing here signs with it.
        ServiceAccountKey.Ensure(settings.DataDir.ServerTls).Dispose();
        var store = member.Store;
        var supervisor = new SupervisorSettings(settings.Critical)
        {
            Members = new RaftCluster(member.Host).Members,
            ApiServers = async ct =>
            {
                try
                {
                    return await ApiAddressKey.ReadAsync(store, ct);
                }
                catch (StoreException)
                {
                    // Like k3s's 5 s bounded read: no quorum means no list, not a failed request.
                    return [];
                }
            },
        };
        await WaitPublishedAsync(member, cancellationToken);
        await using var app = SupervisorHost.Build(settings.BindAddress, settings.HttpsListenPort, tls, settings.DataDir, supervisor, logging);
        await app.StartAsync(cancellationToken);
        Log.EtcdOnlyListening(_logger, settings.BindAddress.ToString(), settings.HttpsListenPort);
        Log.TokenLocation(_logger, settings.DataDir.TokenFile);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Log.Stopping(_logger);
        }

        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>
    /// A new member's name and client URLs reach the member list through the log, a moment after it votes. Joiners
    /// read <c>/db/info</c> for a client URL to join through, so the supervisor opens only once this member lists one
    /// (a full server gets that moment for free while its API starts).
    /// </summary>
    private static async Task WaitPublishedAsync(ReplicatedMember member, CancellationToken cancellationToken)
    {
        var host = member.Host;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (host.Members.Find(host.MemberId) is not { ClientUrls.Count: > 0 })
            {
                await Task.Delay(50, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Serve anyway: a joiner then fails with a message that names the missing client URL.
        }
    }
}
