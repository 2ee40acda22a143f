namespace K3sLab.K3s.ApiServer.Discovery;

/// <summary>A value derived from the registry's snapshot, built on first use and again after the served set changes.</summary>
internal sealed class PerGeneration<T>(ResourceRegistry registry, Func<IReadOnlyList<ApiResource>, T> build)
    where T : class
{
    private Entry? _current;

    public T Value
    {
        get
        {
            var generation = registry.Generation;
            if (Volatile.Read(ref _current) is { } known && known.Generation == generation)
            {
                return known.Value;
            }

            var value = build(registry.All);
            Volatile.Write(ref _current, new Entry(generation, value));
            return value;
        }
    }

    private sealed record Entry(long Generation, T Value);
}
