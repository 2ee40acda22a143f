namespace K3sLab.K3s.Controllers;

/// <summary>
/// What a controller has asked for and not yet seen in its cache (client-go's ControllerExpectations): after
/// creating N pods for a key it expects N additions; until they arrive (or 5 minutes pass) the key is not satisfied
/// and the controller must not count pods again, or it would create duplicates from a stale cache. Thread-safe.
/// </summary>
internal sealed class Expectations(TimeProvider time)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly object _gate = new();
    private readonly Dictionary<string, (int Adds, int Deletes, DateTimeOffset At)> _pending = new(StringComparer.Ordinal);

    /// <summary>Whether the cache has caught up with the key's writes (or they expired).</summary>
    public bool Satisfied(string key)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue(key, out var e))
            {
                return true;
            }

            return (e.Adds <= 0 && e.Deletes <= 0) || time.GetUtcNow() - e.At > Timeout;
        }
    }

    /// <summary>Records that <paramref name="adds"/> creations and <paramref name="deletes"/> deletions are about to be sent.</summary>
    public void Expect(string key, int adds, int deletes)
    {
        lock (_gate)
        {
            _pending[key] = (adds, deletes, time.GetUtcNow());
        }
    }

    public void Added(string key) => Lower(key, 1, 0);

    public void Deleted(string key) => Lower(key, 0, 1);

    /// <summary>A write that failed will never be observed: lower the expectation as if it had been.</summary>
    public void AddFailed(string key) => Lower(key, 1, 0);

    public void DeleteFailed(string key) => Lower(key, 0, 1);

    public void Forget(string key)
    {
        lock (_gate)
        {
            _pending.Remove(key);
        }
    }

    private void Lower(string key, int adds, int deletes)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(key, out var e))
            {
                _pending[key] = (e.Adds - adds, e.Deletes - deletes, e.At);
            }
        }
    }
}
