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
        };
        foreach (var e in m.Entries)
        {
            wire.Entries.Add(ToWire(e));
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
            Entries = w.Entries.Count == 0 ? [] : [.. w.Entries.Select(FromWire)],
        };
    }

    public static RaftEntry ToWire(Entry e) => new() { Index = e.Index, Term = e.Term, Data = UnsafeByteOperations.UnsafeWrap(e.Data) };

    public static Entry FromWire(RaftEntry e) => new(e.Index, e.Term, e.Data.ToByteArray());
}
