using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// Turns one store's step results into comparable text: per step, the exit code, a harness note if any, then stdout
/// lines ("out ") and stderr lines ("err "), after normalisation. Instances are per store, because lease labels are
/// given in order of first appearance in that store's transcript.
///
/// Normalisation removes only what two correct stores may legitimately disagree on; everything else (revisions,
/// versions of keys, values, counts, error messages and exit codes) must be equal:
/// <list type="bullet">
/// <item>Lease ids become <c>&lt;lease-N&gt;</c> in order of first appearance (hex in text, decimal in JSON): each
/// server picks its own ids (etcd mixes its member id and a clock into them), but the same lease must keep the same
/// label, so a store that returns another lease's id still fails.</item>
/// <item><c>cluster_id</c>, <c>member_id</c>, <c>leader</c> and member <c>ID</c> become <c>&lt;id&gt;</c>: etcd derives
/// them from the peer URLs and a hash, and our store has no peers.</item>
/// <item><c>raft_term</c>, <c>raftTerm</c>, <c>raftIndex</c>, <c>raftAppliedIndex</c> become placeholders: they count
/// elections and log entries (including etcd's internal ones), not the key-value history clients see.</item>
/// <item><c>dbSize</c>, <c>dbSizeInUse</c>, the server <c>version</c> string, member <c>name</c> and member URLs become
/// placeholders: they describe the engine and how it was started, not the data. The header revision stays.</item>
/// <item>Loopback ports become <c>&lt;port&gt;</c>: each server listens on a port the OS picked.</item>
/// <item>Timings are removed: <c>remaining(Ns)</c> of a lease, <c>took = …</c> of a health check, and the
/// <c>ts</c> of etcdctl's client warnings are wall-clock samples. The random <c>client-&lt;uuid&gt;</c> of each etcdctl
/// process goes too.</item>
/// <item><c>lease list</c> lines are sorted: etcd lists leases in Go map order, which is random.</item>
/// </list>
/// </summary>
internal sealed partial class EtcdctlTranscript
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Dictionary<ulong, string> _leases = [];

    /// <summary>The normalised lines of each step, in script order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Normalise(IReadOnlyList<EtcdctlStepResult> results) => [.. results.Select(NormaliseStep)];

    private List<string> NormaliseStep(EtcdctlStepResult result)
    {
        var lines = new List<string> { result.Result.ExitCode is { } code ? $"exit {code.ToString(CultureInfo.InvariantCulture)}" : "exit <stopped by harness>" };
        if (result.Note is not null)
        {
            lines.Add($"note {result.Note}");
        }

        lines.AddRange(NormaliseOutput(result.Result.Stdout).Select(l => $"out {l}"));
        lines.AddRange(NormaliseOutput(result.Result.Stderr).Select(l => $"err {l}"));
        return lines;
    }

    private List<string> NormaliseOutput(string output)
    {
        if (output.Length == 0)
        {
            return [];
        }

        // Only the final newline goes: trailing empty lines are output too (an empty value prints as one).
        var lines = (output.EndsWith('\n') ? output[..^1] : output).Split('\n').Select(NormaliseLine).ToList();

        if (FoundLeases().IsMatch(lines[0]))
        {
            lines = [lines[0], .. lines.Skip(1).Select(id => ulong.TryParse(id, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var lease) ? Lease(lease) : id).Order(StringComparer.Ordinal)];
        }

        return lines;
    }

    private string NormaliseLine(string line)
    {
        if (line.StartsWith('{') || line.StartsWith('['))
        {
            try
            {
                var json = JsonNode.Parse(line);
                if (json is not null)
                {
                    NormaliseJson(json);
                    line = json.ToJsonString(Compact);
                }
            }
            catch (JsonException)
            {
                // Not JSON after all (a value that starts with a brace): compared as text.
            }
        }

        line = LeaseInText().Replace(line, m => "lease " + Lease(ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
        line = Remaining().Replace(line, "remaining(<ttl>)");
        line = Took().Replace(line, "took = <duration>");
        line = LoopbackPort().Replace(line, "127.0.0.1:<port>");
        return ClientUuid().Replace(line, "client-<uuid>");
    }

    private void NormaliseJson(JsonNode node)
    {
        switch (node)
        {
            case JsonArray array:
                foreach (var item in array.OfType<JsonNode>())
                {
                    NormaliseJson(item);
                }

                break;

            case JsonObject obj:
                var isLeaseGrant = obj.ContainsKey("TTL");
                foreach (var (name, value) in obj.ToList())
                {
                    JsonNode? replacement = name switch
                    {
                        "lease" or "ID" when isLeaseGrant || name == "lease" => JsonValue.Create(Lease(ulong.Parse(value!.ToJsonString(), CultureInfo.InvariantCulture))),
                        "cluster_id" or "member_id" or "leader" or "ID" => JsonValue.Create("<id>"),
                        "raft_term" or "raftTerm" => JsonValue.Create("<term>"),
                        "raftIndex" or "raftAppliedIndex" => JsonValue.Create("<raft-index>"),
                        "dbSize" or "dbSizeInUse" => JsonValue.Create("<size>"),
                        "version" when value?.GetValueKind() == JsonValueKind.String => JsonValue.Create("<version>"),
                        "name" when obj.ContainsKey("peerURLs") || obj.ContainsKey("clientURLs") => JsonValue.Create("<name>"),
                        "peerURLs" or "clientURLs" when value is JsonArray urls => new JsonArray([.. urls.Select(_ => JsonValue.Create("<url>"))]),
                        "ts" => JsonValue.Create("<ts>"),
                        _ => null,
                    };
                    if (replacement is not null)
                    {
                        obj[name] = replacement;
                    }
                    else if (value is not null)
                    {
                        NormaliseJson(value);
                    }
                }

                break;
        }
    }

    private string Lease(ulong id)
    {
        if (!_leases.TryGetValue(id, out var label))
        {
            label = $"<lease-{(_leases.Count + 1).ToString(CultureInfo.InvariantCulture)}>";
            _leases.Add(id, label);
        }

        return label;
    }

    [GeneratedRegex(@"^found \d+ leases$")]
    private static partial Regex FoundLeases();

    [GeneratedRegex(@"\blease ([0-9a-f]{1,16})\b")]
    private static partial Regex LeaseInText();

    [GeneratedRegex(@"remaining\(-?\d+s\)")]
    private static partial Regex Remaining();

    [GeneratedRegex(@"took = \S+")]
    private static partial Regex Took();

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex LoopbackPort();

    [GeneratedRegex(@"client-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex ClientUuid();
}
