using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>The LIST fast path's splice must give exactly the bytes of parse, set resourceVersion, serialize.</summary>
[Trait("Category", "Unit")]
public sealed class StoredJsonTests
{
    public static TheoryData<string> StoredObjects => new()
    {
        """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"n","uid":"u"},"data":{"k":"v"}}""",
        """{"apiVersion":"v1","kind":"ConfigMap","metadata":{},"data":{"k":"v"}}""",
        """{"apiVersion":"v1","kind":"ConfigMap","data":{"metadata":{"not":"this one"}}}""",
        """{}""",
        """{"kind":"X","metadata":{"labels":{"a":"b"},"annotations":{"json":"{\"metadata\":{}}"}},"spec":{"list":[1,2.50,{"metadata":{}}],"t":true,"n":null}}""",
        """{"metadata":{"name":"\u00e9\u003Cscript\u003E \u002B"},"data":{"k":"\ud83d\ude00"}}""",
    };

    [Theory]
    [MemberData(nameof(StoredObjects))]
    public void TryWriteWithVersion_MatchesTheDomRoundTrip(string stored)
    {
        // Stored values are the serializer's output, as ObjectStorage writes them.
        var bytes = Encoding.UTF8.GetBytes(JsonNode.Parse(stored)!.ToJsonString());
        var output = new ArrayBufferWriter<byte>();

        StoredJson.TryWriteWithVersion(bytes, 12345, output).Should().BeTrue();

        var expected = JsonNode.Parse(bytes)!.AsObject();
        if (expected["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            expected["metadata"] = metadata;
        }

        metadata["resourceVersion"] = "12345";
        Encoding.UTF8.GetString(output.WrittenSpan).Should().Be(expected.ToJsonString());
    }

    [Fact]
    public void TryWriteWithVersion_MetadataNotAnObject_LeavesItToTheDomPath()
    {
        var output = new ArrayBufferWriter<byte>();

        StoredJson.TryWriteWithVersion("""{"metadata":"x","kind":"K"}"""u8, 1, output).Should().BeFalse();

        output.WrittenCount.Should().Be(0);
    }

    [Fact]
    public void TryWriteWithVersion_NotAnObject_Throws()
    {
        var act = () => StoredJson.TryWriteWithVersion("""[1,2]"""u8, 1, new ArrayBufferWriter<byte>());

        act.Should().Throw<JsonException>();
    }
}
