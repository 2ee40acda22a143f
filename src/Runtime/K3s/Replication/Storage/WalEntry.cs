using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// A Raft log entry as the WAL stores it. <see cref="Type"/> is the Raft entry type's byte (0 normal, 1 configuration
/// change); the WAL does not interpret it, so the core can add types without a format change.
/// </summary>
internal sealed record WalEntry(ulong Index, ulong Term, byte Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>The entry type the Raft core's <see cref="Entry"/> has today: everything is a normal entry.</summary>
    public const byte NormalType = 0;

    /// <summary>Maps a core entry; its type byte becomes the core's entry type once <see cref="Entry"/> carries one.</summary>
    public static WalEntry From(Entry entry) => new(entry.Index, entry.Term, NormalType, entry.Data);

    /// <summary>Maps back to the core's entry (copying the data out of the recovery buffer).</summary>
    public Entry ToEntry() => new(Index, Term, Data.ToArray());

    /// <inheritdoc />
    public override string ToString() => $"{Index}@t{Term}/{Type}({Data.Length}b)";
}
