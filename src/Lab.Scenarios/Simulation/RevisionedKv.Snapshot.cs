using System.Text;

namespace K3sLab.Scenarios.Simulation;

internal sealed partial class RevisionedKv
{
    /// <summary>
    /// The whole state as snapshot data: the applied index and the event history (the key-value map is the last event
    /// of each key, so it is rebuilt rather than stored). The history is kept because watchers may resume from any
    /// revision.
    /// </summary>
    public byte[] Save()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(AppliedIndex);
            w.Write(_events.Count);
            foreach (var e in _events)
            {
                w.Write(e.Revision);
                w.Write(e.Key);
                w.Write(e.Value ?? "");
            }
        }
        return stream.ToArray();
    }

    /// <summary>Rebuilds the store from <see cref="Save"/>'s output; empty data is the empty store at index 0.</summary>
    public static RevisionedKv Restore(byte[] data)
    {
        var kv = new RevisionedKv();
        if (data.Length == 0)
        {
            return kv;
        }
        using var r = new BinaryReader(new MemoryStream(data), Encoding.UTF8);
        kv.AppliedIndex = r.ReadUInt64();
        var count = r.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var revision = r.ReadInt64();
            var key = r.ReadString();
            var value = r.ReadString();
            kv.Write(key, value, newRevision: revision != kv.Revision);
        }
        return kv;
    }
}
