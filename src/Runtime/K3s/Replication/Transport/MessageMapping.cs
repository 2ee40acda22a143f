using Google.Protobuf;
using K3sLab.K3s.Replication.Wire;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>Converts the pure core's messages to the peer protocol and back, field for field.</summary>
internal static class MessageMapping
{
    public static RaftMessage ToWire(Message m)
    {
        var wire = new RaftMessage
        {
            Type = (int)m.Type,
            From = m.From,
            To = m.To,
            Term = m.Term,
            LogTerm = m.LogTerm,
            Index = m.Index,
            Commit = m.Commit,
            Reject = m.Reject,
            RejectHint = m.RejectHint,
            Transfer = m.Transfer,
            CommitOnly = m.CommitOnly,
        };
        if (m.Context.Length > 0)
        {
            wire.Context = UnsafeByteOperations.UnsafeWrap(m.Context);
        }

        foreach (var e in m.Entries)
        {
            wire.Entries.Add(ToWire(e));
        }

        if (m.Snapshot is { } s)
        {
            var snapshot = new RaftSnapshot { Index = s.Index, Term = s.Term, Data = UnsafeByteOperations.UnsafeWrap(s.Data) };
            snapshot.Voters.Add(s.ConfState.Voters);
            snapshot.Learners.Add(s.ConfState.Learners);
            wire.Snapshot = snapshot;
        }

        return wire;
    }

    public static Message FromWire(RaftMessage w)
    {
        if (!Enum.IsDefined((MessageType)w.Type))
        {
            throw new InvalidDataException($"unknown Raft message type {w.Type}");
        }

        return new Message((MessageType)w.Type, w.From, w.To, w.Term)
        {
            LogTerm = w.LogTerm,
            Index = w.Index,
            Commit = w.Commit,
            Reject = w.Reject,
            RejectHint = w.RejectHint,
            Transfer = w.Transfer,
            CommitOnly = w.CommitOnly,
            Context = w.Context.IsEmpty ? [] : w.Context.ToByteArray(),
            Entries = w.Entries.Count == 0 ? [] : [.. w.Entries.Select(FromWire)],
            Snapshot = w.Snapshot is { } s ? new Snapshot(s.Index, s.Term, new ConfState([.. s.Voters], [.. s.Learners]), Owned(s.Data)) : null,
        };
    }

    public static RaftEntry ToWire(Entry e) => new() { Index = e.Index, Term = e.Term, Type = (int)e.Type, Data = UnsafeByteOperations.UnsafeWrap(e.Data) };

    public static Entry FromWire(RaftEntry e) => new(e.Index, e.Term, Owned(e.Data)) { Type = (EntryType)e.Type };

    /// <summary>
    /// The bytes of a field parsed from the wire, as an array: the parser's own array when the field fills it (a
    /// received snapshot can be as large as the whole state; copying it would hold it twice), a copy otherwise.
    /// The message they came from is dropped after mapping, and nobody writes to either.
    /// </summary>
    private static byte[] Owned(ByteString bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes.Memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : bytes.ToByteArray();
}
