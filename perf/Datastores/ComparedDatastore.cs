using K3sLab.Lab.Host;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Datastores;

/// <summary>
/// One datastore a <c>k3s server</c> under test stands on, started fresh for its turn: SQLite (the default), the
/// embedded Raft store with one member (<c>--cluster-init</c>), a real etcd 3.4 member, or a private PostgreSQL with
/// fsync on, as a production one would run. The three external ones are reached over loopback without TLS.
/// </summary>
internal sealed class ComparedDatastore : IAsyncDisposable
{
    /// <summary>The datastores in report order; SQLite first, as the reference the others' ratios are taken to.</summary>
    public static IReadOnlyList<string> All { get; } = ["sqlite", "embedded", "etcd", "postgres"];

    private readonly IAsyncDisposable? _backing;

    private ComparedDatastore(string word, string name, string[] serverArgs, IAsyncDisposable? backing)
    {
        Word = word;
        Name = name;
        ServerArgs = serverArgs;
        _backing = backing;
    }

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

    public async ValueTask DisposeAsync()
    {
        if (_backing is not null)
        {
            await _backing.DisposeAsync();
        }
    }
}
