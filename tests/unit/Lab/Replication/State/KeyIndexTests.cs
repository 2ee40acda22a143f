using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;
using static K3sLab.Lab.Tests.Datastore.TempStore;

namespace K3sLab.Lab.Tests.Replication.State;

/// <summary>
/// The key index keeps its ordered tree and its lookup map in step: a key is found by content (not by array) exactly
/// while the tree holds it, and ranges still come out in byte order.
/// </summary>
[Trait("Category", "Unit")]
public sealed class KeyIndexTests
{
    [Fact]
    public void Find_ByAnEqualArray_FindsTheStoredHistory_UntilRemoved()
    {
        var index = new KeyIndex();
        var stored = new KeyHistory(B("/registry/pods/a"));
        index.Add(stored);

        index.Find(B("/registry/pods/a")).Should().BeSameAs(stored);
        index.Find(B("/registry/pods/b")).Should().BeNull();

        index.Remove(stored);
        index.Find(B("/registry/pods/a")).Should().BeNull();
        index.Count.Should().Be(0);
    }

    [Fact]
    public void Add_AKeyTwice_KeepsTheFirst_AndRemoveThenAddFindsTheNewOne()
    {
        var index = new KeyIndex();
        var first = new KeyHistory(B("k"));
        index.Add(first);
        index.Add(new KeyHistory(B("k")));
        index.Count.Should().Be(1);
        index.Find(B("k")).Should().BeSameAs(first);

        index.Remove(first);
        var second = new KeyHistory(B("k"));
        index.Add(second);
        index.Find(B("k")).Should().BeSameAs(second);
    }

    [Fact]
    public void ManyAddsAndRemoves_LookupsAndRangesAgreeWithASortedModel()
    {
        var index = new KeyIndex();
        var model = new SortedDictionary<string, KeyHistory>(StringComparer.Ordinal);
        var random = new Random(7);
        for (var i = 0; i < 5_000; i++)
        {
            var key = $"/k/{random.Next(400):D3}";
            if (model.TryGetValue(key, out var present) && random.Next(3) == 0)
            {
                index.Remove(present);
                model.Remove(key);
            }
            else if (present is null)
            {
                var history = new KeyHistory(B(key));
                index.Add(history);
                model[key] = history;
            }
        }

        index.Count.Should().Be(model.Count);
        for (var k = 0; k < 400; k++)
        {
            var key = $"/k/{k:D3}";
            index.Find(B(key)).Should().BeSameAs(model.GetValueOrDefault(key), key);
        }

        index.In(new KeyRange(B("/k/100"), B("/k/200"))).Select(h => S(h.Key)).Should()
            .Equal(model.Keys.Where(k => string.CompareOrdinal(k, "/k/100") >= 0 && string.CompareOrdinal(k, "/k/200") < 0));
        index.All.Select(h => S(h.Key)).Should().Equal(model.Keys);
    }
}
