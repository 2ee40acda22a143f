using System.CommandLine;
using K3sLab.K3s.Bootstrap;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace K3sLab.K3s.Cli;

/// <summary>
/// k3s's configuration file: <c>--config</c> / <c>-c</c> / <c>K3S_CONFIG_FILE</c>, default
/// <c>/etc/rancher/k3s/config.yaml</c>, then every <c>*.yaml</c> in <c>config.yaml.d/</c> beside it in name order.
/// Each key is a flag name without dashes; a scalar is its value, a list repeats the flag, <c>true</c>/<c>false</c>
/// set a switch. Flags given on the command line win over the files and later files over earlier ones, except that a
/// key ending in <c>+</c> (<c>node-label+:</c>) appends to the list instead of replacing it. A key the command does
/// not know is named in a warning and skipped, as k3s does. The files become arguments before the parser runs.
/// </summary>
internal static class ConfigFile
{
    public const string DefaultPath = "/etc/rancher/k3s/config.yaml";
    public const string EnvVariable = "K3S_CONFIG_FILE";

    /// <summary>The option the server and agent commands declare, so help lists it and the parser accepts it.</summary>
    public static Option<string?> Option() => EnvOption.String("--config", "-c", EnvVariable, "Load configuration from FILE", DefaultPath);

    /// <summary>
    /// Returns <paramref name="args"/> with the configuration files' flags inserted after the sub-command, plus the
    /// warnings for keys that were skipped. Arguments of commands without <c>--config</c> are returned unchanged.
    /// </summary>
    /// <exception cref="BootstrapException">A named file is missing or is not a YAML mapping of flags.</exception>
    public static (string[] Args, IReadOnlyList<string> Warnings) Expand(RootCommand root, string[] args)
    {
        if (args.Length == 0 || root.Subcommands.FirstOrDefault(c => c.Name == args[0]) is not { } command
            || !command.Options.Any(o => o.Name == "--config"))
        {
            return (args, []);
        }

        var (path, explicitly) = ConfigPath(args);
        if (!File.Exists(path))
        {
            return explicitly ? throw new BootstrapException($"--config {path}: the file does not exist") : (args, []);
        }

        var files = new List<string> { path };
        var dropIns = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path) + ".d");
        if (Directory.Exists(dropIns))
        {
            files.AddRange(Directory.GetFiles(dropIns, "*.yaml").Order(StringComparer.Ordinal));
        }

        var given = args.Skip(1).Where(a => a.StartsWith('-')).Select(a => FlagName(command, a.Split('=', 2)[0])).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var warnings = new List<string>();
        foreach (var file in files)
        {
            foreach (var (key, items) in Read(file))
            {
                var append = key.EndsWith('+');
                var flag = "--" + key.TrimEnd('+');
                if (flag == "--config")
                {
                    continue;
                }

                if (!command.Options.Any(o => o.Name == flag))
                {
                    warnings.Add($"Unknown flag {flag} found in {file}, skipping");
                    continue;
                }

                if (given.Contains(flag) && !append)
                {
                    continue;
                }

                if (!append || !values.TryGetValue(flag, out var list))
                {
                    values[flag] = list = [];
                }

                list.AddRange(items);
            }
        }

        var expanded = new List<string> { args[0] };
        foreach (var (flag, items) in values)
        {
            foreach (var item in items)
            {
                expanded.Add($"{flag}={item}");
            }
        }

        expanded.AddRange(args.Skip(1));
        return ([.. expanded], warnings);
    }

    private static (string Path, bool Explicitly) ConfigPath(string[] args)
    {
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] is "--config" or "-c" && i + 1 < args.Length)
            {
                return (args[i + 1], true);
            }

            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return (args[i]["--config=".Length..], true);
            }
        }

        return Environment.GetEnvironmentVariable(EnvVariable) is { Length: > 0 } fromEnv ? (fromEnv, true) : (DefaultPath, false);
    }

    /// <summary>The long name of the option a command-line token names (<c>-t</c> → <c>--token</c>), or null.</summary>
    private static string? FlagName(Command command, string token) =>
        command.Options.FirstOrDefault(o => o.Name == token || o.Aliases.Contains(token))?.Name;

    private static IEnumerable<(string Key, List<string> Items)> Read(string file)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(file);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new BootstrapException($"{file} is not valid YAML: {e.Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            yield break;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode mapping)
        {
            throw new BootstrapException($"{file} must be a YAML mapping of flag names to values, such as \"token: secret\"");
        }

        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? throw new BootstrapException($"{file}: every key must be a flag name");
            yield return valueNode switch
            {
                YamlScalarNode scalar => (key, [scalar.Value ?? string.Empty]),
                YamlSequenceNode sequence => (key, [.. sequence.Children.Select(c => (c as YamlScalarNode)?.Value
                    ?? throw new BootstrapException($"{file}: {key} must be a list of plain values"))]),
                _ => throw new BootstrapException($"{file}: {key} must be a value or a list of values"),
            };
        }
    }
}
