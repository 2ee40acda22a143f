using System.Net;
using System.Text;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Server;
using K3sLab.K3s.Store;
using K3sLab.Lab.Tests.Datastore;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Server;

/// <summary>k3s's bootstrap data in a shared store, on a real SQLite store standing in for etcd or PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class DatastoreBootstrapTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("k3slab-dsboot-");

    [Fact]
    public async Task FirstServerSaves_SecondLoads_AndBothHaveTheSameCasKeysAndTokens()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = new TempStore();
        var first = Dir("s0");
        var second = Dir("s1");

        (await DatastoreBootstrap.LoadAsync(store.Store, first, "shared-secret", NullLogger.Instance, ct)).Should().BeTrue("nothing is stored yet");
        Bootstrap(first, "shared-secret", "10.0.0.10").Tls.Dispose();
        (await DatastoreBootstrap.SaveAsync(store.Store, first, NullLogger.Instance, ct)).Should().BeTrue();
        (await DatastoreBootstrap.LoadAsync(store.Store, second, "shared-secret", NullLogger.Instance, ct)).Should().BeFalse("the first server's data is there");
        var boot = Bootstrap(second, "shared-secret", "10.0.0.11");
        boot.Tls.Dispose();

        foreach (var item in new[] { "tls/server-ca.crt", "tls/server-ca.key", "tls/client-ca.key", "tls/request-header-ca.key", "tls/service.key", "cred/passwd" })
        {
            File.ReadAllText(Path.Combine(second.Server, item)).Should().Be(File.ReadAllText(Path.Combine(first.Server, item)), item);
        }

        File.ReadAllText(second.TokenFile).Should().Be(File.ReadAllText(first.TokenFile), "the same CA hash and password make the same K10 token");
        var stored = await store.Store.RangeAsync(new RangeQuery(KeyRange.Prefix(Encoding.UTF8.GetBytes("/bootstrap/"))), ct);
        stored.Kvs.Should().ContainSingle().Which.Key.Should().Equal(Encoding.UTF8.GetBytes(BootstrapCipher.StorageKey("shared-secret")));
        Encoding.UTF8.GetString(stored.Kvs[0].Value).Should().NotContain("BEGIN", "the CAs are stored encrypted");
    }

    [Fact]
    public async Task AnotherToken_IsRefused_BeforeAnythingIsWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = new TempStore();
        var first = Dir("s0");
        await DatastoreBootstrap.LoadAsync(store.Store, first, "shared-secret", NullLogger.Instance, ct);
        Bootstrap(first, "shared-secret", "10.0.0.10").Tls.Dispose();
        await DatastoreBootstrap.SaveAsync(store.Store, first, NullLogger.Instance, ct);

        var other = Dir("s1");
        var load = () => DatastoreBootstrap.LoadAsync(store.Store, other, "another-secret", NullLogger.Instance, ct);
        var tokenless = () => DatastoreBootstrap.LoadAsync(store.Store, Dir("s2"), null, NullLogger.Instance, ct);

        await load.Should().ThrowAsync<BootstrapException>().WithMessage("bootstrap data already found and encrypted with different token*");
        await tokenless.Should().ThrowAsync<BootstrapException>().WithMessage("the datastore already holds a cluster's bootstrap data (/bootstrap/*): start this server with that cluster's --token");
        Directory.Exists(other.ServerTls).Should().BeFalse();
    }

    [Fact]
    public async Task TwoFirstServersRacing_TheLaterAdoptsTheEarliersCluster()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = new TempStore();
        var a = Dir("a");
        var b = Dir("b");
        (await DatastoreBootstrap.LoadAsync(store.Store, a, "shared-secret", NullLogger.Instance, ct)).Should().BeTrue();
        (await DatastoreBootstrap.LoadAsync(store.Store, b, "shared-secret", NullLogger.Instance, ct)).Should().BeTrue();
        Bootstrap(a, "shared-secret", "10.0.0.10").Tls.Dispose();
        Bootstrap(b, "shared-secret", "10.0.0.11").Tls.Dispose();
        File.ReadAllText(Path.Combine(b.ServerTls, "server-ca.key")).Should().NotBe(File.ReadAllText(Path.Combine(a.ServerTls, "server-ca.key")));

        (await DatastoreBootstrap.SaveAsync(store.Store, a, NullLogger.Instance, ct)).Should().BeTrue();
        (await DatastoreBootstrap.SaveAsync(store.Store, b, NullLogger.Instance, ct)).Should().BeFalse("a stored first");

        File.ReadAllText(Path.Combine(b.ServerTls, "server-ca.key")).Should().Be(File.ReadAllText(Path.Combine(a.ServerTls, "server-ca.key")), "b now holds a's CA and bootstraps again from it");
    }

    public void Dispose() => _root.Delete(recursive: true);

    private DataDir Dir(string name) => new(Path.Combine(_root.FullName, name));

    private static ServerBootstrapResult Bootstrap(DataDir dir, string token, string address) =>
        ServerBootstrap.Run(new ServerBootstrapOptions(dir, token, null, "node-" + address, [IPAddress.Parse(address)], []));
}
