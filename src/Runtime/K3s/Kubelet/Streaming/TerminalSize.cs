using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>A terminal size as the resize channel carries it: JSON <c>{"Width":80,"Height":24}</c>.</summary>
internal readonly record struct TerminalSize(ushort Width, ushort Height)
{
    /// <summary>Parses one resize message; false for anything that is not such an object.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out TerminalSize size)
    {
        size = default;
        try
        {
            if (JsonNode.Parse(json) is JsonObject o && o["Width"] is JsonValue w && o["Height"] is JsonValue h
                && w.TryGetValue<int>(out var width) && h.TryGetValue<int>(out var height) && width is >= 0 and <= ushort.MaxValue && height is >= 0 and <= ushort.MaxValue)
            {
                size = new TerminalSize((ushort)width, (ushort)height);
                return true;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return false;
    }
}
