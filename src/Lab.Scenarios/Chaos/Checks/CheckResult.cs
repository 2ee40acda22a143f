namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>A check's verdict: passed or not, one line saying what was measured, and the evidence when it failed.</summary>
/// <param name="Name">The check as the scenario names it.</param>
/// <param name="Passed">Whether it held.</param>
/// <param name="Summary">One line with the figures (e.g. <c>4,812 operations on 8 keys: linearizable</c>).</param>
/// <param name="Details">The evidence for a failure: the operations, observations or names involved.</param>
public sealed record CheckResult(string Name, bool Passed, string Summary, IReadOnlyList<string> Details)
{
    public static CheckResult Pass(string name, string summary) => new(name, true, summary, []);

    public static CheckResult Fail(string name, string summary, IEnumerable<string> details) => new(name, false, summary, [.. details.Take(40)]);
}
