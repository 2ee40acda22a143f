using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.Lab.Tests.Datastore;

/// <summary>Kubernetes object storage on a real SQLite store: resourceVersion rules, optimistic concurrency, paging and watches.</summary>
[Trait("Category", "Integration")]
public sealed class ObjectStorageTests
{
    private static readonly ResourceKind ConfigMaps = new(string.Empty, "configmaps", Namespaced: true);

    [Fact]
    public void Key_BuiltInAndCustomGroups_FollowTheRegistryLayout()
    {
        ConfigMaps.Key("default", "a").Should().Be("/registry/configmaps/default/a");
        new ResourceKind("apps", "deployments", true).Key("ns", "d").Should().Be("/registry/deployments/ns/d");
        new ResourceKind(string.Empty, "nodes", false).Key("ignored", "n1").Should().Be("/registry/nodes/n1");
        new ResourceKind("example.com", "widgets", true).ListPrefix(string.Empty).Should().Be("/registry/example.com/widgets/");
    }

    [Fact]
    public async Task Create_Get_Update_Delete_FollowResourceVersionRules()
    {
        await using var t = new TempStore();
        var storage = new ObjectStorage(t.Store);
        var created = await storage.CreateAsync(ConfigMaps, "default", "a", ConfigMap("a", "1"), CancellationToken.None);
        created.ResourceVersion.Should().Be(2);
        created.Object["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be("2");
        (await storage.Invoking(s => s.CreateAsync(ConfigMaps, "default", "a", ConfigMap("a", "x"), CancellationToken.None)).Should().ThrowAsync<ApiStatusException>())
            .Which.Message.Should().Be("configmaps \"a\" already exists");

        var updated = await storage.UpdateAsync(ConfigMaps, "default", "a", 2, o => { o["data"]!["v"] = "2"; return o; }, CancellationToken.None);
        updated.ResourceVersion.Should().Be(3);
        (await storage.Invoking(s => s.UpdateAsync(ConfigMaps, "default", "a", 2, o => o, CancellationToken.None)).Should().ThrowAsync<ApiStatusException>())
            .Which.Message.Should().StartWith("Operation cannot be fulfilled on configmaps \"a\": the object has been modified");

        var deleted = await storage.DeleteAsync(ConfigMaps, "default", "a", null, CancellationToken.None);
        (deleted.ResourceVersion, deleted.Object["data"]!["v"]!.GetValue<string>()).Should().Be((4L, "2"));
        (await storage.Invoking(s => s.GetAsync(ConfigMaps, "default", "a", CancellationToken.None)).Should().ThrowAsync<ApiStatusException>())
            .Which.Message.Should().Be("configmaps \"a\" not found");
    }

    [Fact]
    public async Task Update_UpToDateLocalCopy_NeedsNoQuorumRead()
    {
        await using var t = new TempStore();
        var store = new LaggingLocalReads(t.Store);
        var storage = new ObjectStorage(store);
        await storage.CreateAsync(ConfigMaps, "default", "a", ConfigMap("a", "1"), CancellationToken.None);

        await storage.UpdateAsync(ConfigMaps, "default", "a", 2, o => { o["data"]!["v"] = "2"; return o; }, CancellationToken.None);
        await storage.DeleteAsync(ConfigMaps, "default", "a", null, CancellationToken.None);

        store.Reads.Should().Be((2, 0), "kube-apiserver starts a guarded write from its watch cache; only the write itself needs the quorum");
    }

    [Fact]
    public async Task Update_StaleLocalCopy_RetriesFromTheLatest_AndRefusesOnlyOnTheLatest()
    {
        await using var t = new TempStore();
        var store = new LaggingLocalReads(t.Store);
        var storage = new ObjectStorage(store);
        await storage.CreateAsync(ConfigMaps, "default", "a", ConfigMap("a", "1"), CancellationToken.None);
        await storage.UpdateAsync(ConfigMaps, "default", "a", null, o => { o["data"]!["v"] = "2"; return o; }, CancellationToken.None);
        store.At = 2;

        // The client saw revision 3; the lagging copy still has 2: not a conflict, the latest decides.
        var updated = await storage.UpdateAsync(ConfigMaps, "default", "a", 3, o => { o["data"]!["v"] += "+"; return o; }, CancellationToken.None);
        updated.Object["data"]!["v"]!.GetValue<string>().Should().Be("2+", "the update applies to the latest object, not to the stale copy");

        // Without a precondition the guard catches the stale copy and the retry starts from the latest.
        var unconditional = await storage.UpdateAsync(ConfigMaps, "default", "a", null, o => { o["data"]!["v"] += "!"; return o; }, CancellationToken.None);
        unconditional.Object["data"]!["v"]!.GetValue<string>().Should().Be("2+!");

        // A refusal computed from the stale copy is checked again on the latest.
        var refusedOnStale = await storage.UpdateAsync(
            ConfigMaps, "default", "a", null, o => o["data"]!["v"]!.GetValue<string>() == "1" ? throw ApiErrors.BadRequest("stale") : o, CancellationToken.None);
        refusedOnStale.ResourceVersion.Should().Be(6);

        // A real conflict is still a 409, decided on the latest revision.
        (await storage.Invoking(s => s.UpdateAsync(ConfigMaps, "default", "a", 3, o => o, CancellationToken.None)).Should().ThrowAsync<ApiStatusException>())
            .Which.Code.Should().Be(409);
        (await storage.Invoking(s => s.DeleteAsync(ConfigMaps, "default", "a", 3, CancellationToken.None)).Should().ThrowAsync<ApiStatusException>())
            .Which.Code.Should().Be(409);
        (await storage.DeleteAsync(ConfigMaps, "default", "a", 6, CancellationToken.None)).ResourceVersion.Should().Be(7);
    }

    [Fact]
    public async Task TryGetLocal_LaggingCopyMissesANewObject_GetFindsIt()
    {
        await using var t = new TempStore();
        var store = new LaggingLocalReads(t.Store);
        var storage = new ObjectStorage(store);
        await storage.CreateAsync(ConfigMaps, "default", "a", ConfigMap("a", "1"), CancellationToken.None);
        store.At = 1;

        (await storage.TryGetLocalAsync(ConfigMaps, "default", "a", CancellationToken.None)).Should().BeNull();
        (await storage.GetAsync(ConfigMaps, "default", "a", CancellationToken.None)).ResourceVersion.Should().Be(2);
        (await storage.UpdateAsync(ConfigMaps, "default", "a", 2, o => o, CancellationToken.None)).ResourceVersion.Should().Be(3, "a miss in the local copy is not a 404");
    }

    [Fact]
    public async Task Update_ConcurrentWithoutPrecondition_EveryChangeLands()
    {
        await using var t = new TempStore();
        var storage = new ObjectStorage(t.Store);
        await storage.CreateAsync(ConfigMaps, "default", "counter", ConfigMap("counter", "0"), CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => storage.UpdateAsync(ConfigMaps, "default", "counter", null, o =>
        {
            o["data"]!["v"] = (int.Parse(o["data"]!["v"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return o;
        }, CancellationToken.None)));
        (await storage.GetAsync(ConfigMaps, "default", "counter", CancellationToken.None)).Object["data"]!["v"]!.GetValue<string>().Should().Be("10");
    }

    [Fact]
    public async Task List_Paged_IsConsistentAtTheFirstPagesRevision()
    {
        await using var t = new TempStore();
        var storage = new ObjectStorage(t.Store);
        foreach (var n in new[] { "a", "b", "c", "d", "e" })
        {
            await storage.CreateAsync(ConfigMaps, "ns1", n, ConfigMap(n, n), CancellationToken.None);
        }

        await storage.CreateAsync(ConfigMaps, "ns2", "z", ConfigMap("z", "z"), CancellationToken.None);
        var first = await storage.ListAsync(ConfigMaps, "ns1", 2, null, 0, CancellationToken.None);
        first.Items.Select(Name).Should().Equal("a", "b");
        (first.ResourceVersion, first.RemainingItemCount).Should().Be((7L, 3L));
        await storage.DeleteAsync(ConfigMaps, "ns1", "c", null, CancellationToken.None);
        var second = await storage.ListAsync(ConfigMaps, "ns1", 2, first.Continue, 0, CancellationToken.None);
        second.Items.Select(Name).Should().Equal("c", "d");
        second.ResourceVersion.Should().Be(7, "every page is read at the first page's revision");
        var third = await storage.ListAsync(ConfigMaps, "ns1", 2, second.Continue, 0, CancellationToken.None);
        third.Items.Select(Name).Should().Equal("e");
        third.Continue.Should().BeNull();
        (await storage.ListAsync(ConfigMaps, string.Empty, 0, null, 0, CancellationToken.None)).Items.Should().HaveCount(5);

        await t.Store.CompactAsync(8, CancellationToken.None);
        (await storage.Invoking(s => s.ListAsync(ConfigMaps, "ns1", 2, first.Continue, 0, CancellationToken.None)).Should().ThrowAsync<ApiStatusException>())
            .Which.Message.Should().StartWith("The provided continue parameter is too old");
    }

    [Fact]
    public async Task Watch_AfterRevision_ReportsAddedModifiedDeletedThenExpiredWhenCompacted()
    {
        await using var t = new TempStore();
        var storage = new ObjectStorage(t.Store);
        await storage.CreateAsync(ConfigMaps, "w", "a", ConfigMap("a", "1"), CancellationToken.None);
        await storage.UpdateAsync(ConfigMaps, "w", "a", null, o => { o["data"]!["v"] = "2"; return o; }, CancellationToken.None);
        await storage.DeleteAsync(ConfigMaps, "w", "a", null, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = new List<(string, string)>();
        await foreach (var e in storage.WatchAsync(ConfigMaps, "w", null, 1, timeout.Token))
        {
            events.Add((e.Type, e.Object["metadata"]!["resourceVersion"]!.GetValue<string>()));
            if (events.Count == 3)
            {
                break;
            }
        }

        events.Should().Equal(("ADDED", "2"), ("MODIFIED", "3"), ("DELETED", "4"));

        await t.Store.CompactAsync(4, CancellationToken.None);
        await foreach (var e in storage.WatchAsync(ConfigMaps, "w", null, 1, timeout.Token))
        {
            (e.Type, e.Object["code"]!.GetValue<int>(), e.Object["reason"]!.GetValue<string>()).Should().Be(("ERROR", 410, "Expired"));
            break;
        }
    }

    private static JsonObject ConfigMap(string name, string v) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["resourceVersion"] = "999" },
        ["data"] = new JsonObject { ["v"] = v },
    };

    private static string Name(JsonObject o) => o["metadata"]!["name"]!.GetValue<string>();
}
