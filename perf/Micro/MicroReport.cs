using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace K3sLab.Perf.Micro;

/// <summary>
/// Writes the allocation figures as <c>micro.json</c> (read by <c>k3slab bench gate</c> through JSON pointers such as
/// <c>/benchmarks/Store.Append/bytesPerOperation</c>) and <c>micro.md</c>.
/// </summary>
internal static class MicroReport
{
    public const string Format = "k3slab-bench-micro/1";

    public static async Task WriteAsync(string directory, IReadOnlyList<AllocationFigure> figures, string? plantedBug, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        await using (var stream = File.Create(Path.Combine(directory, "micro.json")))
        await using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteString("measuredUtc", DateTime.UtcNow);
            writer.WriteString("runtime", RuntimeInformation.FrameworkDescription);
            writer.WriteString("plantedBug", plantedBug);
            writer.WriteStartObject("benchmarks");
            foreach (var figure in figures)
            {
                writer.WriteStartObject(figure.Name);
                writer.WriteNumber("bytesPerOperation", Math.Round(figure.BytesPerOperation, 1));
                writer.WriteNumber("operations", figure.Operations);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        var md = new StringBuilder();
        md.AppendLine("# Micro-benchmarks: managed bytes allocated per operation").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{RuntimeInformation.FrameworkDescription}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(plantedBug is null ? string.Empty : $", planted bug {plantedBug}")}.").AppendLine();
        md.AppendLine("| benchmark | bytes/op |").AppendLine("|---|---:|");
        foreach (var figure in figures)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {figure.Name} | {figure.BytesPerOperation:N1} |");
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "micro.md"), md.ToString(), ct);
    }
}
