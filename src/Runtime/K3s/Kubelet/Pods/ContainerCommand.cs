using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// The argv a container runs, as a container runtime derives it: <c>command</c> replaces the image's ENTRYPOINT
/// and then drops its CMD, <c>args</c> replaces CMD; <c>$(VAR)</c> references to the container's environment are
/// expanded in both (<c>$$</c> escapes a <c>$</c>; unknown references stay as written), as the kubelet expands them.
/// Pure.
/// </summary>
internal static class ContainerCommand
{
    /// <summary>The argv, or null with <paramref name="error"/> set to the message for <c>CreateContainerError</c>.</summary>
    public static IReadOnlyList<string>? Resolve(JsonObject container, IReadOnlyDictionary<string, string> environment, out string? error)
    {
        var command = Strings(container["command"]);
        var args = Strings(container["args"]);
        var image = container["image"]?.GetValue<string>() ?? string.Empty;
        error = null;
        IEnumerable<string> argv;
        if (command.Count > 0)
        {
            argv = command.Concat(args);
        }
        else if (ImageEntrypoints.Find(image) is { } entry)
        {
            argv = entry.Entrypoint.Concat(args.Count > 0 ? args : entry.Cmd);
        }
        else
        {
            error = $"image \"{image}\" has no entrypoint known to the process runtime (it knows {string.Join(", ", ImageEntrypoints.Names)}): set the container's command";
            return null;
        }

        var expanded = argv.Select(a => Expand(a, environment)).ToList();
        if (expanded.Count == 0)
        {
            error = "no command specified";
            return null;
        }

        return expanded;
    }

    /// <summary>Expands <c>$(NAME)</c> from <paramref name="environment"/>; <c>$$</c> is a literal <c>$</c>.</summary>
    public static string Expand(string text, IReadOnlyDictionary<string, string> environment)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 >= text.Length)
            {
                result.Append(text[i]);
                continue;
            }

            if (text[i + 1] == '$')
            {
                result.Append('$');
                i++;
                continue;
            }

            var close = text[i + 1] == '(' ? text.IndexOf(')', i + 2) : -1;
            if (close > 0 && environment.TryGetValue(text[(i + 2)..close], out var value))
            {
                result.Append(value);
                i = close;
                continue;
            }

            result.Append('$');
        }

        return result.ToString();
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(n => n?.GetValue<string>() ?? string.Empty)] : [];
}
