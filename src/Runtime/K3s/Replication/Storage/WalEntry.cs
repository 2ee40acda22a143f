using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// A Raft log entry as the WAL stores it. <see cref="Type"/> is the Raft entry type's byte (0 normal, 1 configuration
/// change); the WAL does not interpret it, so the core can add types without a format change.
/// </summary>
internal sealed record WalEntry(ulong Index, ulong Term, byte Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>The byte of a normal entry.</summary>
    public const byte NormalType = (byte)EntryType.Normal;

    /// <summary>Maps a core entry, keeping its type.</summary>
    public static WalEntry From(Entry entry) => new(entry.Index, entry.Term, (byte)entry.Type, entry.Data);

    /// <summary>Maps back to the core's entry (copying the data out of the recovery buffer), keeping its type.</summary>
    public Entry ToEntry() => new(Index, Term, Data.ToArray()) { Type = (EntryType)Type };

    /// <inheritdoc />
    public override string ToString() => $"{Index}@t{Term}/{Type}({Data.Length}b)";
}
