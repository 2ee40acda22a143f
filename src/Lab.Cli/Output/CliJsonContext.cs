using System.Text.Json.Serialization;
using K3sLab.Cli.Commands;

namespace K3sLab.Cli.Output;

/// <summary>Source-generated JSON for every <c>-o json</c> result (camelCase, indented).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(BuildResult))]
[JsonSerializable(typeof(List<NodeRow>))]
[JsonSerializable(typeof(UpResult))]
[JsonSerializable(typeof(StatusResult))]
[JsonSerializable(typeof(StopResult))]
[JsonSerializable(typeof(StartResult))]
[JsonSerializable(typeof(DownResult))]
[JsonSerializable(typeof(NodeResult))]
[JsonSerializable(typeof(KubeconfigResult))]
[JsonSerializable(typeof(ExportLogsResult))]
[JsonSerializable(typeof(ExecResult))]
[JsonSerializable(typeof(BenchRunResult))]
[JsonSerializable(typeof(BenchGateResult))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
