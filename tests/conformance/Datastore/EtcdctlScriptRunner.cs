using System.Text.RegularExpressions;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>What one step printed against one store, before normalisation. <see cref="Note"/> is set by the harness (a passed deadline).</summary>
internal sealed record EtcdctlStepResult(EtcdctlStep Step, EtcdctlResult Result, string? Note = null);

/// <summary>
/// Runs the script's steps in order against one store. Variables (<c>$L1</c>) are per store: each store grants its
/// own lease ids. Background watches are stopped at the end even when a step throws.
/// </summary>
internal sealed partial class EtcdctlScriptRunner(EtcdApiServer server)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CollectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly Dictionary<string, string> _variables = [];
    private readonly Dictionary<string, BackgroundEtcdctl> _watches = [];

    public async Task<IReadOnlyList<EtcdctlStepResult>> RunAsync(IReadOnlyList<EtcdctlStep> steps, CancellationToken ct)
    {
        var results = new List<EtcdctlStepResult>();
        try
        {
            foreach (var step in steps)
            {
                results.Add(await RunStepAsync(step, ct));
            }
        }
        finally
        {
            foreach (var watch in _watches.Values)
            {
                await watch.DisposeAsync();
            }
        }

        return results;
    }

    private async Task<EtcdctlStepResult> RunStepAsync(EtcdctlStep step, CancellationToken ct)
    {
        var args = step.Args.Select(Expand).ToList();
        switch (step.Kind)
        {
            case EtcdctlStepKind.Let:
                var granted = await RunAsync(args, step.Stdin, ct);
                var id = LeaseGranted().Match(granted.Stdout);

                // An unbound variable still expands, to a value no store accepts, so later steps fail visibly in the diff.
                _variables[step.Name!] = id.Success ? id.Groups[1].Value : $"unbound-{step.Name}";
                return new(step, granted);

            case EtcdctlStepKind.WatchStart:
                _watches.Add(step.Name!, Etcdctl.Start(server.ClientUrl, args));
                return new(step, new EtcdctlResult(null, "", ""), "started");

            case EtcdctlStepKind.WatchCollect:
                var watch = _watches[step.Name!];
                _watches.Remove(step.Name!);
                await using (watch)
                {
                    var collected = await watch.CollectAsync(step.Count, CollectTimeout, ct);
                    var lines = collected.Stdout.Count(c => c == '\n');
                    return new(step, collected, lines == step.Count ? null : $"collected {lines} of {step.Count} lines");
                }

            case EtcdctlStepKind.UntilEmpty:
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(step.Count);
                while (true)
                {
                    var polled = await RunAsync(args, step.Stdin, ct);
                    if (polled.Stdout.Length == 0)
                    {
                        return new(step, polled);
                    }

                    if (DateTime.UtcNow > deadline)
                    {
                        return new(step, polled, $"stdout still not empty after {step.Count} s");
                    }

                    await Task.Delay(PollInterval, ct);
                }

            default:
                return new(step, await RunAsync(args, step.Stdin, ct));
        }
    }

    private Task<EtcdctlResult> RunAsync(IReadOnlyList<string> args, string? stdin, CancellationToken ct) =>
        Etcdctl.RunAsync(server.ClientUrl, args, stdin, StepTimeout, ct);

    private string Expand(string arg) => Variable().Replace(arg, m => _variables.TryGetValue(m.Groups[1].Value, out var value)
        ? value
        : throw new InvalidOperationException($"{EtcdctlScript.FileName}: ${m.Groups[1].Value} is used before a @let binds it"));

    [GeneratedRegex(@"^lease ([0-9a-f]+) granted", RegexOptions.Multiline)]
    private static partial Regex LeaseGranted();

    [GeneratedRegex(@"\$([A-Z][A-Z0-9_]*)")]
    private static partial Regex Variable();
}
