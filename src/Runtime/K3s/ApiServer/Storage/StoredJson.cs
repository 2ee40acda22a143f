using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace K3sLab.K3s.ApiServer.Storage;

/// <summary>
/// A stored object's JSON written straight to a response with <c>metadata.resourceVersion</c> spliced in, without
/// building a DOM. The output is byte for byte what parsing the object, setting the version (appended as the last
/// field of <c>metadata</c>, or a new last <c>metadata</c> field) and serializing it again gives, because stored
/// objects are written by the same serializer and never carry a version. Used where a response is many objects
/// passed through untouched (a LIST without selectors), which would otherwise parse and re-encode each one.
/// </summary>
internal static class StoredJson
{
    private static ReadOnlySpan<byte> VersionField => "\"resourceVersion\":\""u8;

    /// <summary>
    /// Writes <paramref name="stored"/> with its version to <paramref name="output"/>; false (and nothing written)
    /// when its <c>metadata</c> is present but not an object, which only the DOM path can repair.
    /// </summary>
    /// <exception cref="JsonException">The stored value is not a JSON object.</exception>
    public static bool TryWriteWithVersion(ReadOnlySpan<byte> stored, long revision, IBufferWriter<byte> output)
    {
        if (VersionPosition(stored) is not var (position, fieldsBefore, wrap))
        {
            return false;
        }

        if (PlantedBugs.PerfExtraAllocation)
        {
            stored = stored.ToArray();
        }

        Span<byte> digits = stackalloc byte[20];
        revision.TryFormat(digits, out var length, provider: CultureInfo.InvariantCulture);
        output.Write(stored[..position]);
        if (fieldsBefore)
        {
            output.Write(","u8);
        }

        if (wrap)
        {
            output.Write("\"metadata\":{"u8);
        }

        output.Write(VersionField);
        output.Write(digits[..length]);
        output.Write(wrap ? "\"}"u8 : "\""u8);
        output.Write(stored[position..]);
        return true;
    }

    /// <summary>
    /// Where the version goes: before the closing brace of <c>metadata</c>, or, without a <c>metadata</c> field,
    /// before the closing brace of the object (as a new <c>metadata</c> field); whether fields precede it there.
    /// Null when <c>metadata</c> is not an object.
    /// </summary>
    private static (int Position, bool FieldsBefore, bool Wrap)? VersionPosition(ReadOnlySpan<byte> stored)
    {
        var reader = new Utf8JsonReader(stored);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a stored object is not a JSON object");
        }

        var topFields = false;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return ((int)reader.TokenStartIndex, topFields, true);
            }

            topFields = true;
            var isMetadata = reader.ValueTextEquals("metadata"u8);
            reader.Read();
            if (!isMetadata)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var fields = false;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                fields = true;
                reader.Read();
                reader.Skip();
            }

            return ((int)reader.TokenStartIndex, fields, false);
        }

        throw new JsonException("a stored object ends early");
    }
}
