using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// Merges a lab cluster's kubeconfig into a user's kubeconfig and takes it out again, as <c>kind</c> and
/// <c>k3d kubeconfig merge</c> do: the cluster, user and context named <c>k3slab-&lt;name&gt;</c> replace any of the
/// same name; every other entry and field of the user's file is kept as it was. Pure text in, text out.
/// </summary>
public static class KubeconfigMerge
{
    private static readonly string[] Sections = ["clusters", "users", "contexts"];

    /// <summary>
    /// <paramref name="target"/> (empty when the file does not exist) with <paramref name="source"/>'s entries in.
    /// The current context becomes <paramref name="context"/> when <paramref name="switchContext"/> or when none was set.
    /// </summary>
    public static string Merge(string target, string source, string context, bool switchContext)
    {
        var into = Load(target, "the kubeconfig to merge into");
        var from = Load(source, "the cluster's kubeconfig");
        foreach (var section in Sections)
        {
            var entries = Section(into, section);
            var names = Section(from, section).OfType<YamlMappingNode>().Select(NameOf).ToHashSet(StringComparer.Ordinal);
            foreach (var stale in entries.OfType<YamlMappingNode>().Where(e => names.Contains(NameOf(e))).ToList())
            {
                entries.Children.Remove(stale);
            }

            foreach (var entry in Section(from, section))
            {
                entries.Add(entry);
            }
        }

        var current = into.Children.TryGetValue(new YamlScalarNode("current-context"), out var value) ? (value as YamlScalarNode)?.Value : null;
        if (switchContext || string.IsNullOrEmpty(current))
        {
            into.Children[new YamlScalarNode("current-context")] = new YamlScalarNode(context);
        }

        return Save(into);
    }

    /// <summary>
    /// <paramref name="target"/> without the cluster, user and context named <paramref name="name"/>; the current
    /// context is cleared if it was that one. Returns null when there was nothing to remove.
    /// </summary>
    public static string? Remove(string target, string name)
    {
        var from = Load(target, "the kubeconfig");
        var removed = false;
        foreach (var section in Sections)
        {
            var entries = Section(from, section);
            foreach (var entry in entries.OfType<YamlMappingNode>().Where(e => NameOf(e) == name).ToList())
            {
                entries.Children.Remove(entry);
                removed = true;
            }
        }

        if (from.Children.TryGetValue(new YamlScalarNode("current-context"), out var current) && (current as YamlScalarNode)?.Value == name)
        {
            from.Children[new YamlScalarNode("current-context")] = new YamlScalarNode(string.Empty);
            removed = true;
        }

        return removed ? Save(from) : null;
    }

    private static YamlMappingNode Load(string text, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return new YamlMappingNode(
                new YamlScalarNode("apiVersion"), new YamlScalarNode("v1"),
                new YamlScalarNode("kind"), new YamlScalarNode("Config"),
                new YamlScalarNode("preferences"), new YamlMappingNode());
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new LabSetupException($"{what} is not valid YAML (line {e.Start.Line}): {e.Message}");
        }

        return stream.Documents.Count == 1 && stream.Documents[0].RootNode is YamlMappingNode root
            ? root
            : throw new LabSetupException($"{what} is not a kubeconfig: it holds no single YAML mapping");
    }

    private static YamlSequenceNode Section(YamlMappingNode config, string section)
    {
        var key = new YamlScalarNode(section);
        if (config.Children.TryGetValue(key, out var node) && node is YamlSequenceNode sequence)
        {
            return sequence;
        }

        if (node is not null and not YamlScalarNode { Value: null or "" or "null" })
        {
            throw new LabSetupException($"the kubeconfig's '{section}' is not a list");
        }

        var created = new YamlSequenceNode();
        config.Children[key] = created;
        return created;
    }

    private static string? NameOf(YamlMappingNode entry) =>
        entry.Children.TryGetValue(new YamlScalarNode("name"), out var name) ? (name as YamlScalarNode)?.Value : null;

    private static string Save(YamlMappingNode root)
    {
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        var text = writer.ToString();

        // YamlStream ends a document with "...": kubectl reads it, but people edit these files by hand.
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }
}
