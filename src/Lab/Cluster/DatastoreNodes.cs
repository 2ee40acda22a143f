using System.Security.Cryptography;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Cluster;

/// <summary>What every server of a cluster on an external datastore gets: its flags and the files they name.</summary>
/// <param name="ServerArgs">The <c>--datastore-*</c> flags.</param>
/// <param name="ServerFiles">Certificates the flags name (none for PostgreSQL).</param>
/// <param name="Description">For progress lines, without secrets: <c>3 etcd members</c>, <c>PostgreSQL at ...</c>.</param>
public sealed record DatastoreConnection(IReadOnlyList<string> ServerArgs, IReadOnlyList<NodeFile> ServerFiles, string Description);

/// <summary>
/// Starts a cluster's external datastore before its servers: the etcd members (a fresh CA and certificates, every
/// member bootstrapping one new cluster), the PostgreSQL node (a fresh password), or split topology's etcd-only k3s
/// servers (the first initialising the embedded store, the others joining it), then waits until it serves: every
/// etcd member healthy as etcdctl sees it, PostgreSQL accepting connections on its lab address, or every etcd-only
/// server a started voter.
/// </summary>
public sealed partial class DatastoreNodes(INodeProvider provider, ILogger logger)
{
    /// <param name="spec">The cluster.</param>
    /// <param name="plan">Its addresses.</param>
    /// <param name="image">The datastore image (etcd, PostgreSQL) or, for split topology, the k3s node image.</param>
    /// <param name="token">The cluster token (split topology's servers use it).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task<DatastoreConnection> CreateAsync(ClusterSpec spec, NetworkPlan plan, string image, string token, CancellationToken cancellationToken)
    {
        switch (spec.ResolvedDatastore)
        {
            case LabDatastore.Split:
                return await CreateEtcdServersAsync(spec, plan, image, token, cancellationToken);
            case LabDatastore.Etcd:
                var etcd = new EtcdTopology(spec.Name, [.. Enumerable.Range(0, spec.EtcdMembers).Select(i => plan.AddressOf(NodeRole.Etcd, i))]);
                var pki = DatastorePki.Create(spec.Name, etcd.Members, TimeProvider.System.GetUtcNow());
                var members = new List<LabNode>();
                for (var i = 0; i < spec.EtcdMembers; i++)
                {
                    members.Add(await provider.CreateNodeAsync(new NodeSpec(spec.Name, NodeRole.Etcd, i, etcd.Addresses[i], image, etcd.MemberCommand(i)) { Files = etcd.MemberFiles(i, pki) }, cancellationToken));
                    Log.Created(logger, members[^1].Name, etcd.Addresses[i].ToString());
                }

                await WaitAsync(() => DatastoreHealth.EtcdHealthyAsync(provider, members[0], etcd.Endpoints, cancellationToken), cancellationToken);
                Log.EtcdHealthy(logger, spec.EtcdMembers);
                return new DatastoreConnection(etcd.ServerArgs(), EtcdTopology.ServerFiles(pki), $"{spec.EtcdMembers} etcd member(s)");
            case LabDatastore.Postgres:
                var postgres = new PostgresTopology(plan.AddressOf(NodeRole.Postgres, 0), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
                var node = await provider.CreateNodeAsync(
                    new NodeSpec(spec.Name, NodeRole.Postgres, 0, postgres.Address, image, PostgresTopology.Command) { Files = postgres.Files, StopSignal = PostgresTopology.StopSignal },
                    cancellationToken);
                Log.Created(logger, node.Name, postgres.Address.ToString());
                await WaitAsync(() => DatastoreHealth.PostgresReadyAsync(provider, node, postgres.Address, cancellationToken), cancellationToken);
                Log.PostgresReady(logger, node.Name);
                return new DatastoreConnection(postgres.ServerArgs(), [], $"PostgreSQL at {postgres.Address}:{PostgresTopology.Port}");
            default:
                throw new InvalidOperationException($"{spec.ResolvedDatastore} is not an external datastore");
        }
    }

    private async Task<DatastoreConnection> CreateEtcdServersAsync(ClusterSpec spec, NetworkPlan plan, string image, string token, CancellationToken cancellationToken)
    {
        var addresses = Enumerable.Range(0, spec.EtcdMembers).Select(i => plan.AddressOf(NodeRole.EtcdServer, i)).ToList();
        var environment = spec.NodeEnvironment.Count > 0 ? spec.NodeEnvironment : null;
        async Task<LabNode> StartAsync(int i)
        {
            var command = SplitTopology.EtcdServerCommand(addresses[i], token, i == 0 ? null : addresses[0], spec.ServerArgs);
            var node = await provider.CreateNodeAsync(new NodeSpec(spec.Name, NodeRole.EtcdServer, i, addresses[i], image, command, environment, NetworkAdmin: spec.NetworkAdmin) { LossyDisk = spec.LossyDisks }, cancellationToken);
            Log.Created(logger, node.Name, addresses[i].ToString());
            return node;
        }

        var first = await StartAsync(0);
        await WaitAsync(() => ClusterCreator.PingAsync(new Uri($"https://{addresses[0]}:{LabNaming.ApiPort}"), cancellationToken), cancellationToken);
        await Task.WhenAll(Enumerable.Range(1, spec.EtcdMembers - 1).Select(StartAsync));
        await WaitAsync(async () => await DatastoreHealth.EtcdServerVotersAsync(provider, first, cancellationToken) >= spec.EtcdMembers, cancellationToken);
        Log.EtcdServersReady(logger, spec.EtcdMembers);
        return new DatastoreConnection(SplitTopology.ControlPlaneArgs(addresses[0]), [], $"{spec.EtcdMembers} etcd-only server(s)");
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        while (!await condition())
        {
            await Task.Delay(500, cancellationToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9300, Level = LogLevel.Information, Message = "created {Node} at {Address}")]
        public static partial void Created(ILogger logger, string node, string address);

        [LoggerMessage(EventId = 9301, Level = LogLevel.Information, Message = "etcd: {Members} member(s) healthy")]
        public static partial void EtcdHealthy(ILogger logger, int members);

        [LoggerMessage(EventId = 9302, Level = LogLevel.Information, Message = "PostgreSQL on {Node} accepts connections")]
        public static partial void PostgresReady(ILogger logger, string node);

        [LoggerMessage(EventId = 9303, Level = LogLevel.Information, Message = "etcd-only servers: {Members} started voter(s)")]
        public static partial void EtcdServersReady(ILogger logger, int members);
    }
}
