namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// The outcome of one scheduling attempt: the chosen node, or none with the upstream-format message and each
/// node's reasons (the same order as the filters ran, for tests and logs).
/// </summary>
internal sealed record Placement(string? Node, string Message, IReadOnlyDictionary<string, IReadOnlyList<string>> Reasons)
{
    public bool Scheduled => Node is not null;
}
