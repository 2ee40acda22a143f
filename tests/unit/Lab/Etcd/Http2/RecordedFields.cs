using System.Text;
using K3sLab.K3s.Etcd.Http2;

namespace K3sLab.Lab.Tests.Etcd.Http2;

/// <summary>What a header block decoded to, as text: "name: value" per field, "size-update: n" per update.</summary>
internal sealed class RecordedFields : IHeaderFieldSink
{
    public List<string> Lines { get; } = [];

    public static List<string> Decode(HpackDecoder decoder, ReadOnlySpan<byte> block)
    {
        var fields = new RecordedFields();
        decoder.TryDecode(block, fields).Should().BeTrue();
        return fields.Lines;
    }

    public void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndexed) =>
        Lines.Add($"{(neverIndexed ? "(never) " : "")}{Encoding.ASCII.GetString(name)}: {Encoding.ASCII.GetString(value)}");

    public void OnTableSizeUpdate(int maxSize) => Lines.Add($"size-update: {maxSize}");
}
