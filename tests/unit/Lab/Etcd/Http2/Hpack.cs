using System.Text;

namespace K3sLab.Lab.Tests.Etcd.Http2;

/// <summary>Hand-built HPACK pieces for tests: short raw string literals.</summary>
internal static class Hpack
{
    /// <summary>A string literal without Huffman coding, shorter than 127 bytes.</summary>
    public static byte[] String(string text) => [(byte)text.Length, .. Encoding.ASCII.GetBytes(text)];

    /// <summary>A literal field without indexing, with a new name.</summary>
    public static byte[] Field(string name, string value) => [0x00, .. String(name), .. String(value)];
}
