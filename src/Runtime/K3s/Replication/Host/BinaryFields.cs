using System.Text;

namespace K3sLab.K3s.Replication.Host;

/// <summary>Length-prefixed strings and string lists for the host's small binary records (member attributes, peer URLs).</summary>
internal static class BinaryFields
{
    public static void WriteStrings(BinaryWriter writer, IReadOnlyList<string> values)
    {
        writer.Write(values.Count);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    public static IReadOnlyList<string> ReadStrings(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        if (count is < 0 or > 1024)
        {
            throw new InvalidDataException($"a list of {count} strings is not a member record");
        }

        var values = new string[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = reader.ReadString();
        }

        return values;
    }

    public static byte[] EncodeStrings(IReadOnlyList<string> values)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            WriteStrings(writer, values);
        }

        return stream.ToArray();
    }

    public static IReadOnlyList<string> DecodeStrings(ReadOnlySpan<byte> bytes)
    {
        using var stream = new MemoryStream(bytes.ToArray());
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return ReadStrings(reader);
    }
}
