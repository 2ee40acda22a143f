using System.Text.Json.Serialization;

namespace K3sLab.Cli.Output;

/// <summary>Source-generated JSON for output that streams one object per line (<c>logs -o json</c>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LogLine))]
internal sealed partial class CliJsonLinesContext : JsonSerializerContext;
