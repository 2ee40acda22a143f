using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace K3sLab.K3s.Supervisor;

/// <summary>
/// Remembers, per node name, the stored node-password hash a password last matched and the SHA-256 of that password,
/// so a node's next requests skip scrypt: its serving certificate right after its client one, and every restart. One
/// scrypt check costs 32 MiB and 0.15 to 0.7 s of a core on the lab's 2 cores; five agents joining at once spent
/// seconds on it. A secret replaced by another hash, or another password, misses and is checked in full. Passwords
/// are 128 random bits, so their SHA-256 in this server's memory (which holds the CA keys anyway) weakens nothing.
/// Thread-safe.
/// </summary>
internal sealed class NodePasswordMemo
{
    /// <summary>More names than a lab or a hollow-node run has; past it the memo starts over rather than grow.</summary>
    private const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="password"/> is the one that last matched <paramref name="storedHash"/> for <paramref name="name"/>.</summary>
    public bool Matches(string name, string storedHash, string password) =>
        _entries.TryGetValue(name, out var entry)
        && string.Equals(entry.StoredHash, storedHash, StringComparison.Ordinal)
        && CryptographicOperations.FixedTimeEquals(entry.Digest, Digest(password));

    /// <summary>Records that <paramref name="password"/> matched <paramref name="storedHash"/> (checked in full, or just stored).</summary>
    public void Remember(string name, string storedHash, string password)
    {
        if (_entries.Count >= Capacity)
        {
            _entries.Clear();
        }

        _entries[name] = new Entry(storedHash, Digest(password));
    }

    /// <summary>Forgets <paramref name="name"/>, for a password that no longer matches.</summary>
    public void Forget(string name) => _entries.TryRemove(name, out _);

    private static byte[] Digest(string password) => SHA256.HashData(Encoding.UTF8.GetBytes(password));

    private sealed record Entry(string StoredHash, byte[] Digest);
}
