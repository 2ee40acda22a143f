using System.Text.Json;

namespace K3sLab.Perf.Api;

/// <summary>What the suite checks in a list response: how many items it holds, its resourceVersion and continue token.</summary>
internal readonly record struct ListShape(int Items, string? ResourceVersion, string? Continue)
{
    /// <summary>Reads a list body in one forward pass without building a document: items are counted and skipped.</summary>
    public static ListShape Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var items = 0;
        string? version = null;
        string? next = null;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("items"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    // "items": null, as an empty list may say.
                    continue;
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items++;
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("metadata"u8))
            {
                reader.Read();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isVersion = reader.ValueTextEquals("resourceVersion"u8);
                    var isContinue = reader.ValueTextEquals("continue"u8);
                    reader.Read();
                    if (isVersion)
                    {
                        version = reader.GetString();
                    }
                    else if (isContinue)
                    {
                        next = reader.GetString();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new ListShape(items, version, next);
    }
}
