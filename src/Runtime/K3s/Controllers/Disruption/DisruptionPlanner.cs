using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Disruption;

/// <summary>
/// The disruption controller's decisions for one PodDisruptionBudget (upstream's trySync), pure: which pods the budget
/// selects, how many of them should be healthy, how many are, which recorded disruptions still stand, and from that
/// the status the eviction subresource charges. When the count cannot be made (a pod whose controller is missing or
/// of an unsupported kind, a selector that does not parse) the status fails safe: no disruption allowed, condition
/// False with reason <c>SyncFailed</c> and the error.
/// </summary>
internal static partial class DisruptionPlanner
{
    public const string Kind = "PodDisruptionBudget";
    public const string ApiVersion = "policy/v1";

    /// <summary>
    /// How long an eviction's entry in <c>status.disruptedPods</c> stands without the pod being seen deleting
    /// (upstream's DeletionTimeout): after it, the eviction is taken not to have happened and the pod counts again.
    /// </summary>
    public static readonly TimeSpan DeletionTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The status for <paramref name="budget"/> given the pods of its namespace (others are ignored) and the
    /// workloads <paramref name="lookup"/> finds, at <paramref name="now"/>.
    /// </summary>
    public static DisruptionPlan Plan(JsonObject budget, IEnumerable<JsonObject> pods, WorkloadLookup lookup, DateTimeOffset now)
    {
        var events = new List<DisruptionEvent>();
        var ns = ObjectKeys.Namespace(budget);
        List<JsonObject> selected;
        try
        {
            selected = Select(budget, pods.Where(p => ObjectKeys.Namespace(p) == ns));
        }
        catch (ApiStatusException e)
        {
            events.Add(new(null, "Warning", "NoPods", $"Failed to get pods: {e.Message}"));
            return FailSafe(budget, e.Message, events, now);
        }

        if (selected.Count == 0)
        {
            events.Add(new(null, "Normal", "NoPods", "No matching pods found"));
        }

        var (expected, desired, unmanaged, error) = ExpectedCount(budget, selected, lookup);
        if (error is not null)
        {
            events.Add(new(null, "Warning", "CalculateExpectedPodCountFailed", $"Failed to calculate the number of expected pods: {error}"));
            return FailSafe(budget, error, events, now);
        }

        if (unmanaged.Count > 0)
        {
            var selector = budget.Obj("spec").Obj("selector") is { } s ? LabelSelector.Format(s) : string.Empty;
            events.Add(new(null, "Warning", "UnmanagedPods",
                $"Pods selected by this PodDisruptionBudget (selector: {selector}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value."));
        }

        var (disrupted, recheck) = StandingDisruptions(budget, selected, now, events);
        var healthy = HealthyCount(selected, disrupted, now);
        return Computed(budget, healthy, desired, expected, disrupted, now, recheck is { } at ? at - now : null, events);
    }

    /// <summary>
    /// The pods of <paramref name="pods"/> the budget's selector matches: none for a missing selector, all for an
    /// empty one (policy/v1's meaning).
    /// </summary>
    internal static List<JsonObject> Select(JsonObject budget, IEnumerable<JsonObject> pods)
    {
        if (budget.Obj("spec")?["selector"] is not JsonObject selector)
        {
            return [];
        }

        var parsed = LabelSelector.Parse(LabelSelector.Format(selector));
        return [.. pods.Where(parsed.Matches)];
    }

    /// <summary>
    /// Upstream's getExpectedPodCount: maxUnavailable (int, or a percentage rounded up) is taken from the controllers'
    /// scale; so is minAvailable as a percentage (rounded up); minAvailable as an integer needs no controller: the
    /// selected pods are the expected count.
    /// </summary>
    private static (int Expected, int Desired, IReadOnlyList<string> Unmanaged, string? Error) ExpectedCount(JsonObject budget, List<JsonObject> pods, WorkloadLookup lookup)
    {
        var spec = budget.Obj("spec");
        if (spec?["maxUnavailable"] is { } maxUnavailable)
        {
            var (expected, unmanaged, error) = ExpectedScale.Of(pods, lookup);
            if (error is not null)
            {
                return (0, 0, unmanaged, error);
            }

            var (unavailable, invalid) = Scaled(maxUnavailable, expected);
            return invalid is not null ? (expected, 0, unmanaged, invalid) : (expected, Math.Max(0, expected - unavailable), unmanaged, null);
        }

        if (spec?["minAvailable"] is { } minAvailable)
        {
            if (JsonFields.AsString(minAvailable) is null)
            {
                return (pods.Count, (int)(JsonFields.AsLong(minAvailable) ?? 0), [], null);
            }

            var (expected, unmanaged, error) = ExpectedScale.Of(pods, lookup);
            if (error is not null)
            {
                return (0, 0, unmanaged, error);
            }

            var (available, invalid) = Scaled(minAvailable, expected);
            return invalid is not null ? (expected, 0, unmanaged, invalid) : (expected, available, unmanaged, null);
        }

        return (0, 0, [], null);
    }

    /// <summary>An int-or-percent of <paramref name="total"/>, a percentage rounded up (GetScaledValueFromIntOrPercent).</summary>
    private static (int Value, string? Error) Scaled(JsonNode value, int total)
    {
        if (JsonFields.AsString(value) is not { } text)
        {
            return ((int)(JsonFields.AsLong(value) ?? 0), null);
        }

        if (!text.EndsWith('%'))
        {
            return (0, "invalid value for IntOrString: invalid type: string is not a percentage");
        }

        if (!int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
        {
            return (0, $"invalid value \"{text}\": not an integer percentage");
        }

        return ((int)Math.Ceiling(percent * (double)total / 100), null);
    }
}
