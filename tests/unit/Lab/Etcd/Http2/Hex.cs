namespace K3sLab.Lab.Tests.Etcd.Http2;

/// <summary>Byte strings written as RFC 7541's examples print them: hex digits, spaces ignored.</summary>
internal static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}
