using System.Text;
using K3sLab.K3s.Replication.Storage;

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
    public static byte[] Encode(MemberTable members, IReplicatedStateMachine machine) => Join(Header(members), machine.CaptureSnapshot());

    /// <summary>
    /// Freezes the member table and the state machine now (on the loop, where both match the applied index) and
    /// returns the whole snapshot data's size and its writer, which may run on any thread later.
    /// </summary>
    public static StateSnapshot Capture(MemberTable members, IReplicatedStateMachine machine)
    {
        var header = Header(members);
        var state = machine.CaptureSnapshot();
        // The file's writer checks the total it announced (SnapshotStore.SaveAsync), header included.
        return new StateSnapshot(header.Length + state.Length, destination =>
        {
            destination.Write(header);
            state.WriteTo(destination);
        });
    }

    /// <summary>Encodes <paramref name="members"/> and a state machine snapshot.</summary>
    public static byte[] Encode(MemberTable members, StateSnapshot state) => Join(Header(members), state);

    /// <summary>
    /// One array of the exact final size, written in place: a large state costs one copy of itself, not the two to
    /// four a growing buffer and its copy-out cost (each of them garbage the size of the state).
    /// </summary>
    private static byte[] Join(byte[] header, StateSnapshot state)
    {
        var length = header.Length + state.Length;
        if (length > Array.MaxLength)
        {
            throw new InvalidOperationException($"the state is {state.Length} bytes, more than one snapshot can hold ({Array.MaxLength - header.Length} bytes)");
        }

        var data = new byte[length];
        header.CopyTo(data, 0);
        using var stream = new MemoryStream(data, header.Length, (int)state.Length, writable: true);
        WriteExactly(state, stream);
        return data;
    }

    /// <summary>Writes <paramref name="state"/>, checking that it writes exactly the bytes it announced.</summary>
    private static void WriteExactly(StateSnapshot state, Stream destination)
    {
        var counted = new CountingStream(destination, state.Length);
        state.WriteTo(counted);
        if (counted.Written != state.Length)
        {
            throw new InvalidOperationException($"the state machine wrote {counted.Written} snapshot bytes, not the {state.Length} it announced");
        }
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
