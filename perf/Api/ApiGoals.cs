using System.Globalization;

namespace K3sLab.Perf.Api;

/// <summary>One goal of issue 5 with the figure that meets or misses it.</summary>
internal sealed record ApiGoal(string Name, string Target, string Figure, bool Passed);

/// <summary>
/// Issue 5's speed goals for one server on SQLite, and the correctness checks that fail a run whatever its speed
/// (a refused request, an unsent one, a lost, repeated or reordered watch event).
/// </summary>
internal static class ApiGoals
{
    public const double CreatesPerSecond = 2000;
    public const double CreateP99Ms = 50;
    public const double GetP99Ms = 5;
    public const double ListP99Ms = 50;
    public const double WatchP99Ms = 100;

    /// <summary>Issue 11's fan-out goal: events delivered per second to 1,000 watchers together.</summary>
    public const double WatchEventsPerSecond = 100_000;

    public const int WatchGoalWatchers = 1000;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static List<ApiGoal> Evaluate(ApiFigures figures)
    {
        var goals = new List<ApiGoal>();

        // The best concurrency: the fastest level that keeps p99 in bounds, else the fastest level.
        var create = figures.Creates.Where(c => c.Latency.Ms(99) <= CreateP99Ms).MaxBy(c => c.PerSecond) ?? figures.Creates.MaxBy(c => c.PerSecond);
        if (create is not null)
        {
            goals.Add(new ApiGoal(
                "create",
                string.Create(Inv, $">= {CreatesPerSecond:N0}/s with p99 <= {CreateP99Ms:0} ms"),
                string.Create(Inv, $"{create.PerSecond:N0}/s, p99 {create.Latency.Ms(99):0.0} ms at {create.Clients} clients"),
                create.PerSecond >= CreatesPerSecond && create.Latency.Ms(99) <= CreateP99Ms));
        }

        if (figures.Get is { } get)
        {
            goals.Add(new ApiGoal("get", string.Create(Inv, $"p99 <= {GetP99Ms:0} ms"), string.Create(Inv, $"p99 {get.Latency.Ms(99):0.00} ms ({get.PerSecond:N0}/s at {get.Clients} clients)"), get.Latency.Ms(99) <= GetP99Ms));
        }

        if (figures.List is { } list)
        {
            goals.Add(new ApiGoal("list 1,000", string.Create(Inv, $"p99 <= {ListP99Ms:0} ms"), string.Create(Inv, $"p99 {list.Latency.Ms(99):0.0} ms"), list.Latency.Ms(99) <= ListP99Ms));
        }

        foreach (var watch in figures.Watches)
        {
            goals.Add(new ApiGoal(
                string.Create(Inv, $"watch, {watch.Watchers:N0} watchers at {watch.WritesPerSecondAsked} writes/s"),
                string.Create(Inv, $"event p99 <= {WatchP99Ms:0} ms"),
                string.Create(Inv, $"p99 {watch.FromSend.Ms(99):0.0} ms from send ({watch.FromAck.Ms(99):0.0} ms from ack), {watch.Delivered:N0}/{watch.Expected:N0} delivered"),
                watch.FromSend.Ms(99) <= WatchP99Ms && watch.Complete));
        }

        var fanout = figures.Watches.Where(w => w.Watchers >= WatchGoalWatchers).MaxBy(w => w.EventsPerSecond);
        if (fanout is not null)
        {
            goals.Add(new ApiGoal(
                string.Create(Inv, $"watch fan-out, {WatchGoalWatchers:N0} watchers (issue 11)"),
                string.Create(Inv, $">= {WatchEventsPerSecond:N0} events/s delivered with p99 <= {WatchP99Ms:0} ms"),
                string.Create(Inv, $"{fanout.EventsPerSecond:N0} events/s ({fanout.WritesPerSecond:0} of {fanout.WritesPerSecondAsked} writes/s asked), p99 {fanout.FromSend.Ms(99):0.0} ms from send"),
                fanout.EventsPerSecond >= WatchEventsPerSecond && fanout.FromSend.Ms(99) <= WatchP99Ms && fanout.Complete));
        }

        return goals;
    }

    public static List<string> Failures(ApiFigures figures)
    {
        var failures = new List<string>();
        failures.AddRange(figures.Phases.Where(p => p.Errors > 0)
            .Select(p => string.Create(Inv, $"{p.Phase} at {p.Clients} clients: {p.Errors} of {p.Requested} requests failed or were not sent, first: {p.FirstError}")));
        foreach (var watch in figures.Watches.Where(w => !w.Complete))
        {
            failures.Add(string.Create(Inv,
                $"watch with {watch.Watchers} watchers: {watch.Delivered}/{watch.Expected} events delivered, {watch.Duplicates} duplicates, {watch.OutOfOrder} out of order, {watch.WriteErrors} failed writes; first error: {watch.FirstError ?? "none"}"));
        }

        return failures;
    }
}
