using System.Reflection;

namespace K3sLab.Scenarios.Chaos.Definitions;

/// <summary>
/// The scenarios shipped with K3sLab (embedded YAML under <c>src/Lab.Scenarios/Chaos/Library</c>), and the lookup
/// <c>k3slab chaos run</c> uses: a library name, or a path to a YAML file of one's own.
/// </summary>
public static class ScenarioLibrary
{
    private const string Prefix = "chaos/";

    /// <summary>Every library scenario, parsed, by name.</summary>
    public static IReadOnlyList<ScenarioDefinition> All() =>
        [.. Assembly.GetExecutingAssembly().GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => ScenarioParser.Parse(Read(n), "library:" + n[Prefix.Length..]))];

    /// <summary>A library scenario by name, or a scenario file by path.</summary>
    /// <exception cref="ScenarioFormatException">Neither a library name nor a readable file, or the file is invalid.</exception>
    public static ScenarioDefinition Find(string nameOrPath)
    {
        var library = All().FirstOrDefault(s => s.Name == nameOrPath);
        if (library is not null)
        {
            return library;
        }

        if (File.Exists(nameOrPath))
        {
            return ScenarioParser.Parse(File.ReadAllText(nameOrPath), nameOrPath);
        }

        throw new ScenarioFormatException($"'{nameOrPath}' is neither a library scenario ({string.Join(", ", All().Select(s => s.Name))}) nor a scenario file");
    }

    private static string Read(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
