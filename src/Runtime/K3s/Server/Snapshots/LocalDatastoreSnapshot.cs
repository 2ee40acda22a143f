using System.Net;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Replication.Transport;
using K3sLab.K3s.Server.Embedded;

namespace K3sLab.K3s.Server.Snapshots;

/// <summary>
/// <c>k3s etcd-snapshot save</c>'s route to the running server of a data dir: etcd's Maintenance.Snapshot on the
/// member's client port (2379), with mutual TLS from <c>server/tls/etcd</c> (the certificate the server itself uses
/// as an etcd client). The port is tried on loopback first, then on each address the serving certificate names,
/// since a server whose node IP is itself a loopback address listens there only.
/// </summary>
internal static class LocalDatastoreSnapshot
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Streams a snapshot of the server's datastore into <paramref name="path"/>, verified before it gets that name.</summary>
    public static async Task SaveAsync(DataDir dataDir, string path, CancellationToken cancellationToken)
    {
        var certFile = Path.Combine(dataDir.EtcdTls, "server-client.crt");
        var keyFile = Path.Combine(dataDir.EtcdTls, "server-client.key");
        var caFile = Path.Combine(dataDir.EtcdTls, "server-ca.crt");
        if (!File.Exists(certFile) || !File.Exists(keyFile) || !File.Exists(caFile))
        {
            throw new SnapshotFileException($"the datastore client certificates are missing from {dataDir.EtcdTls}; start the server once before taking snapshots");
        }

        var tls = PeerTlsOptions.FromPemFiles(certFile, keyFile, caFile);
        using var channels = new PeerChannels(tls);
        var tried = new List<string>();
        RpcException? last = null;
        foreach (var address in Addresses(tls.Certificate))
        {
            var url = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? $"https://[{address}]:{EmbeddedDatastore.ClientPort}"
                : $"https://{address}:{EmbeddedDatastore.ClientPort}";
            tried.Add(url);
            var client = new Etcd.Wire.Maintenance.MaintenanceClient(channels.For(url));
            try
            {
                using var call = client.Snapshot(new Etcd.Wire.SnapshotRequest(), deadline: DateTime.UtcNow + Timeout, cancellationToken: cancellationToken);
                await DatastoreSnapshotFile.CopyVerifiedAsync(path, (stream, ct) => CopyAsync(call, stream, ct), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                last = e;
            }
            catch (RpcException e)
            {
                throw new SnapshotFileException($"the datastore at {url} refused the snapshot: {e.Status.Detail}");
            }
        }

        throw new SnapshotFileException($"no running server answers for this data dir's datastore on {string.Join(", ", tried)}: start k3s server first ({last?.Status.Detail})");
    }

    private static async Task CopyAsync(AsyncServerStreamingCall<Etcd.Wire.SnapshotResponse> call, Stream destination, CancellationToken cancellationToken)
    {
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            await destination.WriteAsync(call.ResponseStream.Current.Blob.Memory, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Loopback first, then every IP address the certificate is issued for.</summary>
    private static IEnumerable<IPAddress> Addresses(X509Certificate2 certificate)
    {
        var named = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateIPAddresses());
        return new[] { IPAddress.Loopback }.Concat(named.Where(a => !a.Equals(IPAddress.Loopback))).Distinct();
    }
}
