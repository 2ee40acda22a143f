namespace K3sLab.Tests.Support;

/// <summary>
/// Polls for a condition that becomes true asynchronously (a watch-fed cache catching up with a write), with a
/// deadline instead of a fixed sleep: returns the first result that satisfies it, or the last one at the deadline,
/// so the caller's assertion reports what was actually seen.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public static async Task<T> UntilAsync<T>(Func<Task<T>> run, Func<T, bool> done, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var result = await run();
            if (done(result) || DateTime.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(Poll, ct);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; at the deadline, fails with <paramref name="because"/>.</summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan within, string because, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {within.TotalSeconds:0} s: {because}");
            }

            await Task.Delay(Poll, ct);
        }
    }
}
