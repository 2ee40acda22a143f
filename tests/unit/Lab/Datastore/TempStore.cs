using System.Text;
using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Sql;
using K3sLab.K3s.Store.Sql.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Datastore;

/// <summary>A real SQLite store in a temp folder, removed afterwards; reopen it to test restarts.</summary>
internal sealed class TempStore : IAsyncDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("k3slab-store-");

    public TempStore(SqliteStoreOptions? options = null)
    {
        Options = (options ?? new SqliteStoreOptions(string.Empty)) with { Path = Path.Combine(_root.FullName, "state.db") };
        Store = SqliteStore.Open(Options, NullLogger.Instance);
    }

    public SqliteStoreOptions Options { get; }

    public SqlStore Store { get; private set; }

    public string Path0 => Options.Path;

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string S(byte[] b) => Encoding.UTF8.GetString(b);

    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = SqliteStore.Open(Options, NullLogger.Instance);
    }

    public Task<TxnResult> PutAsync(string key, string value, long lease = 0) =>
        Store.TxnAsync(TxnRequest.Of(new PutOp(B(key), B(value), lease)), CancellationToken.None);

    public Task<TxnResult> DeleteAsync(string key, string? end = null) =>
        Store.TxnAsync(TxnRequest.Of(new DeleteOp(new KeyRange(B(key), end is null ? [] : B(end)))), CancellationToken.None);

    public Task<RangeResult> GetAsync(string key, long revision = 0) =>
        Store.RangeAsync(new RangeQuery(KeyRange.Single(B(key)), revision), CancellationToken.None);

    public Task<RangeResult> PrefixAsync(string prefix, long revision = 0, long limit = 0) =>
        Store.RangeAsync(new RangeQuery(KeyRange.Prefix(B(prefix)), revision, limit), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _root.Delete(recursive: true);
    }
}
