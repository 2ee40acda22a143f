using K3sLab.Scenarios.Chaos.Checks;
using K3sLab.Scenarios.Chaos.Definitions;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>How one step went: when it ran (seconds since the run started) and, when it failed, why.</summary>
public sealed record StepResult(int Index, string Step, double Start, double End, bool Passed, string? Message);

/// <summary>
/// Everything one scenario run produced: the steps, the recorded timeline, histories and observations, and the
/// check verdicts. <see cref="Passed"/> only when every step ran and every check held.
/// </summary>
public sealed record ChaosRunResult(
    ScenarioDefinition Scenario,
    int Seed,
    int Repeat,
    string Cluster,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    IReadOnlyList<StepResult> Steps,
    IReadOnlyList<CheckResult> Checks,
    RunRecord Record,
    string? Error)
{
    public bool Passed => Error is null && Steps.All(s => s.Passed) && Checks.All(c => c.Passed);

    /// <summary>One line for logs and the console: verdict, scenario, failing parts.</summary>
    public string Verdict => Passed
        ? $"PASS {Scenario.Name} (repeat {Repeat}, seed {Seed}, {Duration.TotalSeconds:0} s)"
        : $"FAIL {Scenario.Name} (repeat {Repeat}, seed {Seed}): " + string.Join("; ",
            new[] { Error }.Concat(Steps.Where(s => !s.Passed).Select(s => $"step {s.Index + 1} '{s.Step}': {s.Message}"))
                .Concat(Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Summary}")).OfType<string>());
}
