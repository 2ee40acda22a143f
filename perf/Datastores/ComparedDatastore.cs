using System.Net;
using K3sLab.Lab.Host;
using K3sLab.Perf.Api;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Datastores;

/// <summary>
/// One datastore a <c>k3s server</c> under test stands on, started fresh for its turn: SQLite (the default), the
/// embedded Raft store with one member (<c>--cluster-init</c>) or as three servers (two more joined by
/// <c>--server</c>, the measured one the first), a real etcd 3.4 member, or a private PostgreSQL with
/// fsync on, as a production one would run. The three external ones are reached over loopback without TLS.
/// </summary>
internal sealed class ComparedDatastore : IAsyncDisposable
{
    /// <summary>The datastores in report order; SQLite first, as the reference the others' ratios are taken to.</summary>
    public static IReadOnlyList<string> All { get; } = ["sqlite", "embedded", "embedded3", "etcd", "postgres"];

    private readonly IAsyncDisposable? _backing;
    private readonly int _joiners;
    private JoinedServers? _joined;

    private ComparedDatastore(string word, string name, string[] serverArgs, IAsyncDisposable? backing, IPAddress? bindAddress = null, int joiners = 0)
    {
        Word = word;
        Name = name;
        ServerArgs = serverArgs;
        BindAddress = bindAddress;
        _backing = backing;
        _joiners = joiners;
    }

    /// <summary>The loopback address the server under test binds, when it needs one of its own (null: 127.0.0.1).</summary>
    public IPAddress? BindAddress { get; }

    /// <summary>The word on the command line and in the JSON: sqlite, embedded, etcd or postgres.</summary>
    public string Word { get; }

    /// <summary>What the report calls it.</summary>
    public string Name { get; }

    /// <summary>The flags that point <c>k3s server</c> at it.</summary>
    public string[] ServerArgs { get; }

    public static async Task<ComparedDatastore> StartAsync(string word, CancellationToken ct)
    {
        switch (word)
        {
            case "sqlite":
                return new ComparedDatastore(word, "SQLite (default)", [], null);
            case "embedded":
                return new ComparedDatastore(word, "embedded Raft store, 1 member (--cluster-init)", ["--cluster-init"], null);
            case "embedded3":
                // Its own loopback /24, so the store's peer and client ports and the two joined servers' do not collide.
                var address = new IPAddress([127, (byte)Random.Shared.Next(10, 250), (byte)Random.Shared.Next(0, 255), 1]);
                return new ComparedDatastore(word, "embedded Raft store, 3 servers (--cluster-init, 2 joined by --server)", ["--cluster-init", "--node-ip", address.ToString()], null, address, joiners: 2);
            case "etcd":
                var etcd = await StoreProcess.StartEtcdAsync(ct);
                return new ComparedDatastore(word, "etcd 3.4, 1 member (--datastore-endpoint http://)", ["--datastore-endpoint", etcd.Address], etcd);
            case "postgres":
                var postgres = await LocalPostgres.StartAsync(fsync: true);
                return new ComparedDatastore(word, "PostgreSQL, fsync on (--datastore-endpoint postgres://)", ["--datastore-endpoint", postgres.Endpoint("k3s_perf")], postgres);
            default:
                throw new ArgumentException($"unknown datastore '{word}': choose from {string.Join(", ", All)}", nameof(word));
        }
    }

    /// <summary>Joins the other servers of an HA datastore to <paramref name="server"/>, once it is ready; nothing for the others.</summary>
    public async Task AfterServerStartAsync(string k3s, ApiServerProcess server, CancellationToken ct)
    {
        if (_joiners > 0)
        {
            _joined = await JoinedServers.JoinAsync(k3s, server, _joiners, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_joined is not null)
        {
            await _joined.DisposeAsync();
        }

        if (_backing is not null)
        {
            await _backing.DisposeAsync();
        }
    }
}
