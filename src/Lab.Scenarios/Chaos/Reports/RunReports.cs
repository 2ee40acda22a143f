using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Reports;

/// <summary>
/// Writes one run's reports into a folder: <c>result.json</c> (steps, checks, timeline, every operation and member
/// observation), <c>summary.md</c>, <c>junit.xml</c> (one test case per step and check, for CI), and
/// <c>timeline.svg</c>/<c>timeline.png</c> embedded in <c>report.html</c>.
/// </summary>
public static class RunReports
{
    public static async Task WriteAsync(ChaosRunResult result, string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "result.json"), Json(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "summary.md"), Markdown(result), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "junit.xml"), JUnit([result]).ToString(), cancellationToken);
        var plot = TimelinePlot.Build(result);
        plot.SaveSvg(Path.Combine(folder, "timeline.svg"), 1400, 600);
        plot.SavePng(Path.Combine(folder, "timeline.png"), 1400, 600);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.html"), Html(result, plot.GetSvgXml(1400, 600)), cancellationToken);
    }

    public static JsonObject Json(ChaosRunResult r) => new()
    {
        ["scenario"] = r.Scenario.Name,
        ["source"] = r.Scenario.Source,
        ["passed"] = r.Passed,
        ["verdict"] = r.Verdict,
        ["seed"] = r.Seed,
        ["repeat"] = r.Repeat,
        ["cluster"] = r.Cluster,
        ["startedAt"] = r.StartedAt.ToString("O", CultureInfo.InvariantCulture),
        ["durationSeconds"] = Math.Round(r.Duration.TotalSeconds, 3),
        ["error"] = r.Error,
        ["steps"] = new JsonArray([.. r.Steps.Select(s => (JsonNode)new JsonObject { ["step"] = s.Step, ["start"] = Math.Round(s.Start, 3), ["end"] = Math.Round(s.End, 3), ["passed"] = s.Passed, ["message"] = s.Message })]),
        ["checks"] = new JsonArray([.. r.Checks.Select(c => (JsonNode)new JsonObject { ["check"] = c.Name, ["passed"] = c.Passed, ["summary"] = c.Summary, ["details"] = new JsonArray([.. c.Details.Select(d => (JsonNode)d)]) })]),
        ["timeline"] = new JsonArray([.. r.Record.Timeline.Select(e => (JsonNode)new JsonObject { ["at"] = Math.Round(e.At, 3), ["kind"] = e.Kind, ["text"] = e.Text })]),
        ["operations"] = new JsonArray([.. r.Record.Operations.Select(o => (JsonNode)new JsonObject
        {
            ["client"] = o.Client, ["kind"] = o.Kind, ["key"] = o.Key, ["callUs"] = o.Call, ["returnUs"] = o.Return, ["outcome"] = o.Outcome.ToString().ToLowerInvariant(),
            ["value"] = o.Value, ["revision"] = o.Revision, ["expected"] = o.Expected, ["via"] = o.Via, ["error"] = o.Error,
        })]),
        ["members"] = new JsonArray([.. r.Record.Members.Select(m => (JsonNode)new JsonObject { ["at"] = Math.Round(m.At, 3), ["node"] = m.Node, ["term"] = m.Term, ["leader"] = m.Leader, ["revision"] = m.Revision })]),
    };

    public static string Markdown(ChaosRunResult r)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# {r.Scenario.Name}: {(r.Passed ? "PASS" : "FAIL")}");
        md.AppendLine();
        md.AppendLine(r.Scenario.Description);
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Cluster `{r.Cluster}` ({r.Scenario.Servers} servers, {r.Scenario.Agents} agents), repeat {r.Repeat}, seed {r.Seed}, started {r.StartedAt:u}, {r.Duration.TotalSeconds:0.0} s.");
        if (r.Error is not null)
        {
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"**Error:** {r.Error}");
        }

        var writes = r.Record.Operations.Where(o => o.IsWrite && o.Client >= 0).ToList();
        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Workload: {r.Record.Operations.Count:N0} operations, {writes.Count(o => o.Outcome == OperationOutcome.Ok):N0} writes acknowledged, {writes.Count(o => o.Outcome == OperationOutcome.Failed):N0} refused, {writes.Count(o => o.Outcome == OperationOutcome.Unknown):N0} unknown.");
        md.AppendLine().AppendLine("| # | step | at (s) | took (s) | result |").AppendLine("|---|---|---:|---:|---|");
        foreach (var s in r.Steps)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Index + 1} | `{s.Step}` | {s.Start:0.0} | {s.End - s.Start:0.0} | {(s.Passed ? "ok" : "**failed:** " + s.Message)} |");
        }

        md.AppendLine().AppendLine("| check | result | figures |").AppendLine("|---|---|---|");
        foreach (var c in r.Checks)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {c.Name} | {(c.Passed ? "pass" : "**FAIL**")} | {c.Summary.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        foreach (var c in r.Checks.Where(c => !c.Passed && c.Details.Count > 0))
        {
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## {c.Name}: evidence").AppendLine().AppendLine("```");
            foreach (var d in c.Details)
            {
                md.AppendLine(d);
            }

            md.AppendLine("```");
        }

        md.AppendLine().AppendLine("## Timeline").AppendLine();
        foreach (var e in r.Record.Timeline)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {e.At,7:0.0} s  {e.Kind}: {e.Text}");
        }

        return md.ToString();
    }

    /// <summary>JUnit XML: one suite per run, one case per step and per check; failures carry the explanation.</summary>
    public static XDocument JUnit(IReadOnlyList<ChaosRunResult> runs) => new(new XElement("testsuites", runs.Select(r =>
    {
        var cases = r.Steps.Select(s => Case(r, $"step {s.Index + 1}: {s.Step}", s.End - s.Start, s.Passed ? null : s.Message))
            .Concat(r.Checks.Select(c => Case(r, $"check: {c}", 0, c.Passed ? null : c.Summary + "\n" + string.Join("\n", c.Details))))
            .Concat(r.Error is null ? [] : [Case(r, "run", r.Duration.TotalSeconds, r.Error)])
            .ToList();
        return new XElement(
            "testsuite",
            new XAttribute("name", $"chaos.{r.Scenario.Name}.{r.Repeat}"),
            new XAttribute("tests", cases.Count),
            new XAttribute("failures", cases.Count(c => c.Element("failure") is not null)),
            new XAttribute("time", r.Duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)),
            new XAttribute("timestamp", r.StartedAt.ToString("s", CultureInfo.InvariantCulture)),
            cases);
    })));

    private static XElement Case(ChaosRunResult r, string name, double seconds, string? failure) => new(
        "testcase",
        new XAttribute("classname", $"chaos.{r.Scenario.Name}"),
        new XAttribute("name", name),
        new XAttribute("time", seconds.ToString("0.###", CultureInfo.InvariantCulture)),
        failure is null ? null : new XElement("failure", new XAttribute("message", failure.Split('\n')[0]), failure));

    private static string Html(ChaosRunResult r, string svg)
    {
        var checks = string.Concat(r.Checks.Select(c => $"<tr><td>{Enc(c.Name)}</td><td class=\"{(c.Passed ? "ok" : "bad")}\">{(c.Passed ? "pass" : "FAIL")}</td><td>{Enc(c.Summary)}</td></tr>"));
        var steps = string.Concat(r.Steps.Select(s => $"<tr><td>{s.Index + 1}</td><td><code>{Enc(s.Step)}</code></td><td>{s.Start:0.0}</td><td class=\"{(s.Passed ? "ok" : "bad")}\">{(s.Passed ? "ok" : Enc(s.Message ?? ""))}</td></tr>"));
        var events = string.Concat(r.Record.Timeline.Select(e => $"<tr><td>{e.At:0.0}</td><td>{Enc(e.Kind)}</td><td>{Enc(e.Text)}</td></tr>"));
        return string.Create(CultureInfo.InvariantCulture, $$"""
            <!doctype html>
            <html><head><meta charset="utf-8"><title>{{Enc(r.Scenario.Name)}}: {{(r.Passed ? "PASS" : "FAIL")}}</title>
            <style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:left;vertical-align:top}.ok{color:#070}.bad{color:#b00;font-weight:bold}</style></head>
            <body><h1>{{Enc(r.Scenario.Name)}}: <span class="{{(r.Passed ? "ok" : "bad")}}">{{(r.Passed ? "PASS" : "FAIL")}}</span></h1>
            <p>{{Enc(r.Scenario.Description)}}</p>
            <p>Cluster {{Enc(r.Cluster)}}, repeat {{r.Repeat}}, seed {{r.Seed}}, started {{r.StartedAt:u}}, {{r.Duration.TotalSeconds:0.0}} s. {{Enc(r.Error ?? "")}}</p>
            {{svg}}
            <h2>Checks</h2><table>{{checks}}</table>
            <h2>Steps</h2><table>{{steps}}</table>
            <h2>Timeline</h2><table>{{events}}</table>
            </body></html>
            """);
    }

    private static string Enc(string text) => WebUtility.HtmlEncode(text);
}
