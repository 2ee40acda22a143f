using System.Globalization;
using System.Text;

namespace K3sLab.Scenarios.Simulation;

/// <summary>What a client asks the replicated store to do.</summary>
internal enum KvCommandKind
{
    /// <summary>Set Key to Value.</summary>
    Put,
    /// <summary>Read Key through the log (a linearizable read).</summary>
    Get,
    /// <summary>Set Key to Value if its mod revision equals ExpectedRevision (0: absent).</summary>
    Cas,
    /// <summary>Set Key to Value and Key2 to Value2 in one revision (a multi-key transaction).</summary>
    PutPair,
}

/// <summary>
/// One client request as it travels in a log entry. Encoded as space-separated text so traces stay readable:
/// "id put k v", "id get k", "id cas k rev v", "id pair k v k2 v2". Keys and values contain no spaces.
/// </summary>
internal sealed record KvCommand(long RequestId, KvCommandKind Kind, string Key)
{
    public string Value { get; init; } = "";
    public long ExpectedRevision { get; init; }
    public string Key2 { get; init; } = "";
    public string Value2 { get; init; } = "";

    public byte[] Encode() => Encoding.UTF8.GetBytes(ToString());

    public static KvCommand Decode(byte[] data)
    {
        var p = Encoding.UTF8.GetString(data).Split(' ');
        var id = long.Parse(p[0], CultureInfo.InvariantCulture);
        return p[1] switch
        {
            "put" => new KvCommand(id, KvCommandKind.Put, p[2]) { Value = p[3] },
            "get" => new KvCommand(id, KvCommandKind.Get, p[2]),
            "cas" => new KvCommand(id, KvCommandKind.Cas, p[2]) { ExpectedRevision = long.Parse(p[3], CultureInfo.InvariantCulture), Value = p[4] },
            "pair" => new KvCommand(id, KvCommandKind.PutPair, p[2]) { Value = p[3], Key2 = p[4], Value2 = p[5] },
            _ => throw new FormatException($"unknown command '{p[1]}'"),
        };
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        KvCommandKind.Put => string.Create(CultureInfo.InvariantCulture, $"{RequestId} put {Key} {Value}"),
        KvCommandKind.Get => string.Create(CultureInfo.InvariantCulture, $"{RequestId} get {Key}"),
        KvCommandKind.Cas => string.Create(CultureInfo.InvariantCulture, $"{RequestId} cas {Key} {ExpectedRevision} {Value}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{RequestId} pair {Key} {Value} {Key2} {Value2}"),
    };
}

/// <summary>
/// The store's answer to one command. Writes: <see cref="Revision"/> is the revision created (0 when a CAS failed).
/// Reads and failed CAS: <see cref="Value"/> and <see cref="ModRevision"/> of the key (null and 0 when absent).
/// </summary>
internal readonly record struct KvResult(long RequestId, bool Succeeded, long Revision, string? Value, long ModRevision);
