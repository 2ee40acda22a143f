using System.Globalization;
using System.Text;

namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// The text kube-scheduler writes when a pod fits no node (its <c>FitError</c>), which users read in the
/// <c>FailedScheduling</c> event and the <c>PodScheduled</c> condition: <c>0/N nodes are available:</c>, then the
/// histogram of per-node reasons as <c>count reason</c> items sorted as strings (byte order, as Go's
/// <c>sort.Strings</c>) and joined by <c>", "</c> and ended by a period, then the preemption verdict
/// (<c>preemption: 0/N nodes are available: ...</c>, itself ending in a period).
/// </summary>
internal static class FitMessage
{
    /// <summary>Upstream's <c>ErrNoNodesAvailable</c>: the whole message when the cluster has no nodes.</summary>
    public const string NoNodes = "no nodes available to schedule pods";

    public const string Unschedulable = "node(s) were unschedulable";
    public const string NodeAffinity = "node(s) didn't match Pod's node affinity/selector";
    public const string Ports = "node(s) didn't have free ports for the requested pod ports";
    public const string TooManyPods = "Too many pods";
    public const string InsufficientCpu = "Insufficient cpu";
    public const string InsufficientMemory = "Insufficient memory";
    public const string AntiAffinity = "node(s) didn't match pod anti-affinity rules";
    public const string ExistingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules";
    public const string PreemptionNotHelpful = "Preemption is not helpful for scheduling";
    public const string NoVictims = "No preemption victims found for incoming pod";
    public const string PreemptNever = "not eligible due to preemptionPolicy=Never.";

    /// <summary>The reason a node gets for a taint the pod does not tolerate.</summary>
    public static string UntoleratedTaint(Taint taint) => "node(s) had untolerated taint " + taint.Describe();

    /// <summary>
    /// The message when a PreFilter plugin turned the pod away before any node was looked at:
    /// <c>0/{nodeCount} nodes are available: {message}.</c> and the preemption verdict, for which every node is then
    /// unresolvable.
    /// </summary>
    public static string PreFilter(int nodeCount, string message, bool preemptNever) =>
        $"0/{nodeCount.ToString(CultureInfo.InvariantCulture)} nodes are available: {message}. preemption: "
        + (preemptNever ? PreemptNever : Format(nodeCount, Enumerable.Repeat<IReadOnlyList<string>>([PreemptionNotHelpful], nodeCount), null));

    /// <summary>
    /// <c>0/{nodeCount} nodes are available: {histogram}.</c> followed by <c> {postFilter}</c> when
    /// <paramref name="postFilter"/> is not empty.
    /// </summary>
    public static string Format(int nodeCount, IEnumerable<IReadOnlyList<string>> reasonsPerNode, string? postFilter)
    {
        var histogram = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var reasons in reasonsPerNode)
        {
            foreach (var reason in reasons)
            {
                histogram[reason] = histogram.GetValueOrDefault(reason) + 1;
            }
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"0/{nodeCount} nodes are available:");
        if (histogram.Count > 0)
        {
            var items = histogram.Select(h => $"{h.Value.ToString(CultureInfo.InvariantCulture)} {h.Key}").Order(StringComparer.Ordinal);
            text.Append(' ').Append(string.Join(", ", items)).Append('.');
        }

        if (!string.IsNullOrEmpty(postFilter))
        {
            // Upstream once ended this part with another period ("scheduling.."); current releases do not.
            text.Append(' ').Append(postFilter);
        }

        return text.ToString();
    }
}
