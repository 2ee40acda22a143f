using System.Globalization;
using System.Text;

namespace K3sLab.K3s.Kubelet.Stats;

/// <summary>
/// The kubelet's <c>/metrics/resource</c> answer in the Prometheus text format (0.0.4), with the metric names,
/// labels and help texts kubelet 1.33 uses, each sample stamped with the moment it was read (milliseconds since the
/// epoch): what metrics-server scrapes to compute the usage rates <c>kubectl top</c> shows. Pure.
/// </summary>
internal static class ResourceMetricsText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(NodeUsage node, IReadOnlyList<ContainerUsage> containers)
    {
        var text = new StringBuilder();
        var ordered = containers.OrderBy(c => c.Namespace, StringComparer.Ordinal).ThenBy(c => c.Pod, StringComparer.Ordinal).ThenBy(c => c.Container, StringComparer.Ordinal).ToList();
        Family(text, "container_cpu_usage_seconds_total", "Cumulative cpu time consumed by the container in core-seconds", "counter");
        foreach (var c in ordered)
        {
            Sample(text, "container_cpu_usage_seconds_total", ContainerLabels(c), c.CpuSeconds, c.At);
        }

        Family(text, "container_memory_working_set_bytes", "Current working set of the container in bytes", "gauge");
        foreach (var c in ordered)
        {
            Sample(text, "container_memory_working_set_bytes", ContainerLabels(c), c.WorkingSetBytes, c.At);
        }

        Family(text, "container_start_time_seconds", "Start time of the container since unix epoch in seconds", "gauge");
        foreach (var c in ordered)
        {
            Sample(text, "container_start_time_seconds", ContainerLabels(c), c.StartedAt.ToUnixTimeMilliseconds() / 1000.0, c.At);
        }

        Family(text, "node_cpu_usage_seconds_total", "Cumulative cpu time consumed by the node in core-seconds", "counter");
        Sample(text, "node_cpu_usage_seconds_total", string.Empty, node.CpuSeconds, node.At);
        Family(text, "node_memory_working_set_bytes", "Current working set of the node in bytes", "gauge");
        Sample(text, "node_memory_working_set_bytes", string.Empty, node.WorkingSetBytes, node.At);

        var pods = ordered.GroupBy(c => (c.Namespace, c.Pod)).ToList();
        Family(text, "pod_cpu_usage_seconds_total", "Cumulative cpu time consumed by the pod in core-seconds", "counter");
        foreach (var pod in pods)
        {
            Sample(text, "pod_cpu_usage_seconds_total", PodLabels(pod.Key.Namespace, pod.Key.Pod), pod.Sum(c => c.CpuSeconds), pod.Max(c => c.At));
        }

        Family(text, "pod_memory_working_set_bytes", "Current working set of the pod in bytes", "gauge");
        foreach (var pod in pods)
        {
            Sample(text, "pod_memory_working_set_bytes", PodLabels(pod.Key.Namespace, pod.Key.Pod), pod.Sum(c => c.WorkingSetBytes), pod.Max(c => c.At));
        }

        Family(text, "resource_scrape_error", "1 if there was an error while getting container metrics, 0 otherwise", "gauge");
        text.Append("resource_scrape_error 0\n");
        return text.ToString();
    }

    private static void Family(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(" [STABLE] ").Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string labels, double value, DateTimeOffset at) =>
        text.Append(name).Append(labels).Append(' ')
            .Append(value.ToString("R", CultureInfo.InvariantCulture)).Append(' ')
            .Append(at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static string ContainerLabels(ContainerUsage c) =>
        $"{{container=\"{Escape(c.Container)}\",namespace=\"{Escape(c.Namespace)}\",pod=\"{Escape(c.Pod)}\"}}";

    private static string PodLabels(string ns, string pod) => $"{{namespace=\"{Escape(ns)}\",pod=\"{Escape(pod)}\"}}";

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
