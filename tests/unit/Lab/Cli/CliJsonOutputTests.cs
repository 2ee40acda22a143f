using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.Cli.Commands;
using K3sLab.Cli.Output;

namespace K3sLab.Lab.Tests.Cli;

[Trait("Category", "Unit")]
public sealed class CliJsonOutputTests
{
    /// <summary>The lab's commands (issue 9) each take <c>-o json</c>; chaos and sim write their reports as files.</summary>
    [Fact]
    public void EveryLabCommand_TakesOutputJson()
    {
        var leaves = Leaves(LabCommandLine.Build()).Where(c => c.Path[0] is not ("chaos" or "sim")).ToList();

        leaves.Select(c => string.Join(' ', c.Path)).Should().Contain(["up", "down", "list", "status", "stop", "start", "kubeconfig", "logs", "exec", "export-logs", "node add", "node kill", "build", "bench api", "bench micro", "bench gate"]);
        foreach (var (path, command) in leaves)
        {
            var output = command.Options.SingleOrDefault(o => o.Name == "--output");
            output.Should().NotBeNull($"'k3slab {string.Join(' ', path)}' takes -o json");
            output!.Aliases.Should().Contain("-o");
            command.Parse(["-o", "json", .. Required(command)]).Errors.Should().BeEmpty(string.Join(' ', path));
        }
    }

    [Fact]
    public void JsonLines_SplitsWritesIntoOneObjectPerLine_AndKeepsALastLineWithoutNewline()
    {
        var target = new StringWriter();
        using (var stream = new JsonLinesStream(target, new object(), "k3slab-dev-server-0", "stderr"))
        {
            stream.Write(Encoding.UTF8.GetBytes("first li"));
            stream.Write(Encoding.UTF8.GetBytes("ne\r\nsecond \"quoted\"\n"));
            stream.Write(Encoding.UTF8.GetBytes("unfinished"));
        }

        var lines = target.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        lines.Select(l => l["line"]!.GetValue<string>()).Should().Equal("first line", "second \"quoted\"", "unfinished");
        lines.Should().OnlyContain(l => l["node"]!.GetValue<string>() == "k3slab-dev-server-0" && l["stream"]!.GetValue<string>() == "stderr");
    }

    private static IEnumerable<(string[] Path, Command Command)> Leaves(Command command, string[]? path = null)
    {
        path ??= [];
        if (command.Subcommands.Count == 0)
        {
            yield return (path, command);
            yield break;
        }

        foreach (var sub in command.Subcommands)
        {
            foreach (var leaf in Leaves(sub, [.. path, sub.Name]))
            {
                yield return leaf;
            }
        }
    }

    /// <summary>Placeholder values for a command's required arguments, so only the option is under test.</summary>
    private static string[] Required(Command command) => command.Name switch
    {
        "add" => ["server"],
        "exec" => ["server-0", "--", "true"],
        "gate" => ["--baseline", "perf/baselines/alloc.json", "--results", "perf/results"],
        _ => [.. command.Arguments.Select(_ => "server-0")],
    };
}
