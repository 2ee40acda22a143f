using System.Security.Cryptography;

namespace K3sLab.K3s.Store.Sql;

/// <summary>Positive random 64-bit IDs for members, clusters and leases.</summary>
internal static class RandomIds
{
    public static long Next()
    {
        Span<byte> bytes = stackalloc byte[8];
        long id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = BitConverter.ToInt64(bytes) & long.MaxValue;
        }
        while (id == 0);
        return id;
    }
}
