using System.Text;

namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// What a Raft snapshot's data holds: the member table, then the state machine's own snapshot.
/// Layout: magic "K3SR", version 1 (int32), member table, state machine bytes to the end.
/// Empty data is the empty state (the core's bootstrap snapshot for a joining member).
/// </summary>
internal static class SnapshotData
{
    private const uint Magic = 0x5253334B;
    private const int Version = 1;

    /// <summary>Encodes the snapshot data now.</summary>
    public static byte[] Encode(MemberTable members, IReplicatedStateMachine machine) => Capture(members, machine)();

    /// <summary>
    /// Freezes the member table and the state machine now (on the loop, where both match the applied index) and
    /// returns the encoder, which may run on any thread later.
    /// </summary>
    public static Func<byte[]> Capture(MemberTable members, IReplicatedStateMachine machine)
    {
        var header = Header(members);
        var write = machine.CaptureSnapshot();
        return () => Join(header, write);
    }

    /// <summary>Encodes <paramref name="members"/> and a state machine snapshot that <paramref name="writeState"/> writes.</summary>
    public static byte[] Encode(MemberTable members, Action<Stream> writeState) => Join(Header(members), writeState);

    private static byte[] Join(byte[] header, Action<Stream> writeState)
    {
        using var stream = new MemoryStream();
        stream.Write(header);
        writeState(stream);
        return stream.ToArray();
    }

    private static byte[] Header(MemberTable members)
    {
        using var head = new MemoryStream();
        using (var writer = new BinaryWriter(head, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            members.WriteTo(writer);
        }

        return head.ToArray();
    }

    /// <summary>Restores <paramref name="members"/> and <paramref name="machine"/> from <paramref name="data"/>.</summary>
    public static void Decode(byte[] data, MemberTable members, IReplicatedStateMachine machine)
    {
        if (data.Length == 0)
        {
            machine.Restore(Stream.Null);
            return;
        }

        using var stream = new MemoryStream(data, writable: false);
        using (var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true))
        {
            if (reader.ReadUInt32() != Magic || reader.ReadInt32() is var version && version != Version)
            {
                throw new InvalidDataException("the snapshot was not written by this version of the replicated store");
            }

            members.ReadFrom(reader);
        }

        machine.Restore(stream);
    }
}
