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
/// member bootstrapping one new cluster) or the PostgreSQL node (a fresh password), then waits until it serves: every
/// etcd member healthy as etcdctl sees it, or PostgreSQL accepting connections on its lab address.
/// </summary>
public sealed partial class DatastoreNodes(INodeProvider provider, ILogger logger)
{
    public async Task<DatastoreConnection> CreateAsync(ClusterSpec spec, NetworkPlan plan, string image, CancellationToken cancellationToken)
    {
        switch (spec.ResolvedDatastore)
        {
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
    }
}
