using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Election;

/// <summary>A coordination.k8s.io/v1 Lease's spec as leader election reads and writes it.</summary>
internal sealed record LeaseRecord(string Holder, int DurationSeconds, DateTimeOffset? AcquireTime, DateTimeOffset? RenewTime, int Transitions)
{
    private const string MicroTime = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public static LeaseRecord FromSpec(JsonObject? spec) => new(
        spec.Str("holderIdentity") ?? string.Empty,
        (int)(spec.Long("leaseDurationSeconds") ?? 0),
        Time(spec.Str("acquireTime")),
        Time(spec.Str("renewTime")),
        (int)(spec.Long("leaseTransitions") ?? 0));

    public JsonObject ToSpec() => new()
    {
        ["holderIdentity"] = Holder,
        ["leaseDurationSeconds"] = DurationSeconds,
        ["acquireTime"] = AcquireTime?.UtcDateTime.ToString(MicroTime, CultureInfo.InvariantCulture),
        ["renewTime"] = RenewTime?.UtcDateTime.ToString(MicroTime, CultureInfo.InvariantCulture),
        ["leaseTransitions"] = Transitions,
    };

    private static DateTimeOffset? Time(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
}
