namespace K3sLab.Scenarios.Simulation;

/// <summary>FNV-1a 64-bit mixing: deterministic across processes (unlike string.GetHashCode), used for state and trace hashes.</summary>
internal static class Fnv
{
    public const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Mix(ulong h, ulong value)
    {
        for (var i = 0; i < 8; i++)
        {
            h = (h ^ (value & 0xFF)) * Prime;
            value >>= 8;
        }
        return h;
    }

    public static ulong Mix(ulong h, string s)
    {
        foreach (var c in s)
        {
            h = (h ^ c) * Prime;
        }
        return (h ^ 0xFF) * Prime;
    }

    public static ulong Mix(ulong h, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            h = (h ^ b) * Prime;
        }
        return (h ^ 0xFF) * Prime;
    }
}
