using Google.Protobuf;

namespace K3sLab.Perf.Store;

/// <summary>Keys and values shaped as <c>etcdctl check perf</c> writes them: 256-byte keys, 1 KiB values.</summary>
internal static class Payloads
{
    public const int KeyBytes = 256;
    public const int ValueBytes = 1024;

    public static readonly ByteString Value = ByteString.CopyFrom(new byte[ValueBytes]);

    /// <summary>A 256-byte key under <paramref name="prefix"/> whose tail is the hex of <paramref name="id"/>, padded.</summary>
    public static ByteString Key(string prefix, long id)
    {
        var text = prefix + id.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        return ByteString.CopyFromUtf8(text.PadRight(KeyBytes, '.'));
    }
}
