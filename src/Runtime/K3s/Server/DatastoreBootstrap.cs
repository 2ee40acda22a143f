using System.Text;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Store;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Server;

/// <summary>
/// k3s's bootstrap data in an external datastore (etcd or PostgreSQL), so servers sharing one store share one
/// cluster: before the local bootstrap, <see cref="LoadAsync"/> writes the CAs, keys and passwd file stored for this
/// token into the data dir; after it, a server that found nothing stores its own with <see cref="SaveAsync"/>, in a
/// create-only transaction, so of two first servers racing exactly one cluster wins and the other adopts it. The
/// data is <see cref="BootstrapData"/>'s wire form encrypted as <see cref="BootstrapCipher"/> describes.
/// </summary>
internal static partial class DatastoreBootstrap
{
    /// <summary>Whether the datastore an endpoint names is shared by servers, so the bootstrap data goes into it.</summary>
    public static bool Applies(string? endpoint) => endpoint is not null && ExternalDatastore.KindOf(endpoint) is DatastoreKind.Etcd or DatastoreKind.Postgres;

    /// <summary>
    /// Loads the bootstrap data stored for the token into the data dir. Returns true when nothing is stored yet, so
    /// the caller must <see cref="SaveAsync"/> after bootstrapping.
    /// </summary>
    /// <exception cref="BootstrapException">Data is stored for another token, or cannot be decrypted with this one.</exception>
    public static async Task<bool> LoadAsync(IRevisionedStore store, DataDir dataDir, string? token, ILogger logger, CancellationToken cancellationToken)
    {
        var keys = await KeysAsync(store, cancellationToken).ConfigureAwait(false);
        if (Passphrase(dataDir, token) is not { } passphrase)
        {
            // A first server without --token: it makes its token now and stores the data under it afterwards.
            return keys.Count == 0 ? true : throw new BootstrapException($"the datastore already holds a cluster's bootstrap data ({string.Join(", ", keys)}): start this server with that cluster's --token");
        }

        switch (BootstrapCipher.Choose(keys, passphrase))
        {
            case BootstrapChoice.Save:
                return true;
            case BootstrapChoice.WrongToken:
                throw new BootstrapException("bootstrap data already found and encrypted with different token: start this server with the --token of the servers already using this datastore");
            default:
                var key = BootstrapCipher.StorageKey(passphrase);
                var stored = await ReadAsync(store, key, cancellationToken).ConfigureAwait(false)
                    ?? throw new BootstrapException($"the bootstrap data at {key} disappeared while this server started; start it again");
                var written = BootstrapData.Write(dataDir, Encoding.UTF8.GetString(BootstrapCipher.Decrypt(passphrase, stored)), embeddedStore: false);
                Log.Loaded(logger, key, written);
                return false;
        }
    }

    /// <summary>
    /// Stores this server's bootstrap data under its token, unless another server stored first. Returns true when
    /// this server's data was stored; false when another's was found and written to the data dir instead, so the
    /// caller must bootstrap again from it.
    /// </summary>
    public static async Task<bool> SaveAsync(IRevisionedStore store, DataDir dataDir, ILogger logger, CancellationToken cancellationToken)
    {
        ServiceAccountKey.Ensure(dataDir.ServerTls).Dispose();
        var passphrase = Passphrase(dataDir, token: null) ?? throw new BootstrapException($"no token in {dataDir.TokenFile} after bootstrapping");
        var key = Encoding.UTF8.GetBytes(BootstrapCipher.StorageKey(passphrase));
        var value = BootstrapCipher.Encrypt(passphrase, Encoding.UTF8.GetBytes(BootstrapData.Render(dataDir)));
        var created = await store.TxnAsync(
            new TxnRequest([new Compare(KeyRange.Single(key), CompareTarget.Create, CompareResult.Equal, 0, [])], [new PutOp(key, value)], []),
            cancellationToken).ConfigureAwait(false);
        if (created.Succeeded)
        {
            Log.Saved(logger, Encoding.UTF8.GetString(key));
            return true;
        }

        Log.LostRace(logger, Encoding.UTF8.GetString(key));
        await LoadAsync(store, dataDir, passphrase, logger, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>The token's password: from <paramref name="token"/>, else from the token file of an earlier start; null on a first start without a token.</summary>
    private static string? Passphrase(DataDir dataDir, string? token)
    {
        var text = token ?? (File.Exists(dataDir.TokenFile) ? File.ReadAllText(dataDir.TokenFile) : null);
        try
        {
            return text is null ? null : JoinToken.Parse(text).Password;
        }
        catch (FormatException e)
        {
            throw new BootstrapException($"--token: {e.Message}");
        }
    }

    private static async Task<IReadOnlyList<string>> KeysAsync(IRevisionedStore store, CancellationToken cancellationToken)
    {
        var result = await store.RangeAsync(new RangeQuery(KeyRange.Prefix(Encoding.UTF8.GetBytes(BootstrapCipher.Prefix))) { KeysOnly = true }, cancellationToken).ConfigureAwait(false);
        return [.. result.Kvs.Select(kv => Encoding.UTF8.GetString(kv.Key))];
    }

    private static async Task<byte[]?> ReadAsync(IRevisionedStore store, string key, CancellationToken cancellationToken)
    {
        var result = await store.RangeAsync(new RangeQuery(KeyRange.Single(Encoding.UTF8.GetBytes(key))), cancellationToken).ConfigureAwait(false);
        return result.Kvs.Count == 0 ? null : result.Kvs[0].Value;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9310, Level = LogLevel.Information, Message = "Loaded the cluster's bootstrap data from the datastore ({Key}, {Items} items)")]
        public static partial void Loaded(ILogger logger, string key, int items);

        [LoggerMessage(EventId = 9311, Level = LogLevel.Information, Message = "Stored this cluster's bootstrap data in the datastore at {Key}, encrypted with the token")]
        public static partial void Saved(ILogger logger, string key);

        [LoggerMessage(EventId = 9312, Level = LogLevel.Warning, Message = "Another server stored the cluster's bootstrap data at {Key} first; adopting it")]
        public static partial void LostRace(ILogger logger, string key);
    }
}
