using System.Globalization;
using System.Text;

namespace K3sLab.K3s.ApiServer.ResourceMetrics;

/// <summary>One container's cumulative figures in a kubelet's answer, stamped with when the kubelet read them.</summary>
internal sealed record ContainerSample(string Namespace, string Pod, string Container, double CpuSeconds, long WorkingSetBytes, DateTimeOffset? StartedAt, DateTimeOffset At);

/// <summary>The node's cumulative CPU seconds and working set in a kubelet's answer.</summary>
internal sealed record NodeSample(double CpuSeconds, long WorkingSetBytes, DateTimeOffset At);

/// <summary>
/// A kubelet's <c>/metrics/resource</c> answer, read as metrics-server reads it: the node's and each container's
/// CPU counter and working set, and the containers' start times; other families are skipped. Pure.
/// </summary>
internal sealed record KubeletScrape(NodeSample? Node, IReadOnlyList<ContainerSample> Containers)
{
    /// <summary>Parses the Prometheus text format; a line it cannot read is a <see cref="FormatException"/> naming it.</summary>
    public static KubeletScrape Parse(string text)
    {
        double? nodeCpu = null;
        long? nodeMemory = null;
        DateTimeOffset nodeAt = default;
        var cpu = new Dictionary<(string, string, string), (double Value, DateTimeOffset At)>();
        var memory = new Dictionary<(string, string, string), long>();
        var started = new Dictionary<(string, string, string), DateTimeOffset>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var (name, labels, value, at) = Line(line);
            var key = (labels.GetValueOrDefault("namespace", string.Empty), labels.GetValueOrDefault("pod", string.Empty), labels.GetValueOrDefault("container", string.Empty));
            switch (name)
            {
                case "node_cpu_usage_seconds_total":
                    (nodeCpu, nodeAt) = (value, at ?? nodeAt);
                    break;
                case "node_memory_working_set_bytes":
                    nodeMemory = (long)value;
                    break;
                case "container_cpu_usage_seconds_total":
                    cpu[key] = (value, at ?? default);
                    break;
                case "container_memory_working_set_bytes":
                    memory[key] = (long)value;
                    break;
                case "container_start_time_seconds":
                    started[key] = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(value * 1000));
                    break;
            }
        }

        var node = nodeCpu is { } c && nodeMemory is { } m ? new NodeSample(c, m, nodeAt) : null;
        var containers = cpu.Where(p => memory.ContainsKey(p.Key))
            .Select(p => new ContainerSample(p.Key.Item1, p.Key.Item2, p.Key.Item3, p.Value.Value, memory[p.Key], started.TryGetValue(p.Key, out var s) ? s : null, p.Value.At))
            .ToList();
        return new KubeletScrape(node, containers);
    }

    private static (string Name, Dictionary<string, string> Labels, double Value, DateTimeOffset? At) Line(string line)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' '))
        {
            i++;
        }

        var name = line[..i];
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"')
                {
                    throw new FormatException($"unreadable labels in metrics line: {line}");
                }

                var label = line[i..eq].Trim();
                var value = new StringBuilder();
                i = eq + 2;
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else
                    {
                        value.Append(line[i]);
                    }

                    i++;
                }

                labels[label] = value.ToString();
                i++;
                if (i < line.Length && line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        var rest = line[Math.Min(i, line.Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (name.Length == 0 || rest.Length is < 1 or > 2 || !double.TryParse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var sample))
        {
            throw new FormatException($"unreadable metrics line: {line}");
        }

        DateTimeOffset? at = rest.Length == 2 && long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        return (name, labels, sample, at);
    }
}
