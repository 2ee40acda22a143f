using System.Text;
using K3sLab.K3s.Etcd;

namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// The cluster's members as etcd lists them: peer URLs from the membership change that added a member, name and
/// client URLs from the member's own publish entry once it has started. Part of the replicated state (every
/// member applies the same changes in log order, and snapshots carry it), so every member lists the same.
/// Not thread-safe: the host loop changes it; readers take <see cref="List"/>, an immutable copy.
/// </summary>
internal sealed class MemberTable
{
    private readonly SortedDictionary<ulong, ClusterMember> _members = [];
    private IReadOnlyList<ClusterMember> _snapshot = [];

    /// <summary>Every member, by id; safe to read from any thread.</summary>
    public IReadOnlyList<ClusterMember> List => Volatile.Read(ref _snapshot);

    public bool Contains(ulong id) => _members.ContainsKey(id);

    public ClusterMember? Find(ulong id) => _members.GetValueOrDefault(id);

    /// <summary>Adds a member that has not started yet (no name, no client URLs).</summary>
    public void Add(ulong id, IReadOnlyList<string> peerUrls, bool isLearner)
    {
        _members[id] = _members.TryGetValue(id, out var existing)
            ? existing with { PeerUrls = peerUrls, IsLearner = isLearner }
            : new ClusterMember(id, string.Empty, peerUrls, [], isLearner);
        Publish();
    }

    public void Promote(ulong id)
    {
        if (_members.TryGetValue(id, out var member))
        {
            _members[id] = member with { IsLearner = false };
            Publish();
        }
    }

    public void Remove(ulong id)
    {
        if (_members.Remove(id))
        {
            Publish();
        }
    }

    public void UpdatePeerUrls(ulong id, IReadOnlyList<string> peerUrls)
    {
        if (_members.TryGetValue(id, out var member))
        {
            _members[id] = member with { PeerUrls = peerUrls };
            Publish();
        }
    }

    /// <summary>
    /// Records a started member's name and client URLs. The member that bootstrapped the cluster was never added
    /// by a membership change, so its publish entry adds it (a voter, with the peer URLs it names).
    /// </summary>
    public void SetAttributes(ulong id, string name, IReadOnlyList<string> clientUrls, IReadOnlyList<string> peerUrls, bool knownVoter)
    {
        if (_members.TryGetValue(id, out var member))
        {
            _members[id] = member with { Name = name, ClientUrls = clientUrls };
        }
        else if (knownVoter)
        {
            _members[id] = new ClusterMember(id, name, peerUrls, clientUrls, IsLearner: false);
        }
        else
        {
            return;
        }

        Publish();
    }

    /// <summary>Peer URLs by member id, for the transport.</summary>
    public IReadOnlyDictionary<ulong, string> PeerUrls() =>
        _members.Values.Where(m => m.PeerUrls.Count > 0).ToDictionary(m => m.Id, m => m.PeerUrls[0]);

    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(_members.Count);
        foreach (var m in _members.Values)
        {
            writer.Write(m.Id);
            writer.Write(m.Name);
            BinaryFields.WriteStrings(writer, m.PeerUrls);
            BinaryFields.WriteStrings(writer, m.ClientUrls);
            writer.Write(m.IsLearner);
        }
    }

    /// <summary>Replaces the table with one read from a snapshot.</summary>
    public void ReadFrom(BinaryReader reader)
    {
        _members.Clear();
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadUInt64();
            _members[id] = new ClusterMember(id, reader.ReadString(), BinaryFields.ReadStrings(reader), BinaryFields.ReadStrings(reader), reader.ReadBoolean());
        }

        Publish();
    }

    /// <summary>The publish entry's body: name, client URLs, peer URLs.</summary>
    public static byte[] EncodeAttributes(string name, IReadOnlyList<string> clientUrls, IReadOnlyList<string> peerUrls)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(name);
            BinaryFields.WriteStrings(writer, clientUrls);
            BinaryFields.WriteStrings(writer, peerUrls);
        }

        return stream.ToArray();
    }

    public static (string Name, IReadOnlyList<string> ClientUrls, IReadOnlyList<string> PeerUrls) DecodeAttributes(ReadOnlySpan<byte> body)
    {
        using var stream = new MemoryStream(body.ToArray());
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return (reader.ReadString(), BinaryFields.ReadStrings(reader), BinaryFields.ReadStrings(reader));
    }

    /// <summary>The body of an <see cref="PayloadKind.UpdatePeerUrls"/> entry: member id, then its peer URLs.</summary>
    public static byte[] EncodePeerUrlUpdate(ulong id, IReadOnlyList<string> peerUrls)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(id);
            BinaryFields.WriteStrings(writer, peerUrls);
        }

        return stream.ToArray();
    }

    public static (ulong Id, IReadOnlyList<string> PeerUrls) DecodePeerUrlUpdate(ReadOnlySpan<byte> body)
    {
        using var stream = new MemoryStream(body.ToArray());
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return (reader.ReadUInt64(), BinaryFields.ReadStrings(reader));
    }

    private void Publish() => Volatile.Write(ref _snapshot, [.. _members.Values]);
}
