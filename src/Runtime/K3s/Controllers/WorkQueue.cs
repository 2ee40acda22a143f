namespace K3sLab.K3s.Controllers;

/// <summary>
/// The keys a controller has to reconcile, with client-go's workqueue rules: a key queued twice is reconciled once;
/// a key being reconciled is never handed to a second worker, and one added meanwhile is handed out again after
/// <see cref="Done"/>; failures back off per key exponentially (<see cref="AddBackoff"/>) until <see cref="Forget"/>.
/// Delays run on the injected <see cref="TimeProvider"/>. Thread-safe.
/// </summary>
internal sealed class WorkQueue : IDisposable
{
    private readonly object _gate = new();
    private readonly LinkedList<string> _ready = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ITimer> _delayed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0);
    private readonly TimeProvider _time;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private bool _disposed;

    public WorkQueue(TimeProvider time, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
    {
        _time = time;
        _baseDelay = baseDelay ?? TimeSpan.FromMilliseconds(5);
        _maxDelay = maxDelay ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>Keys waiting to be handed out (not counting delayed ones or those being reconciled).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ready.Count;
            }
        }
    }

    public void Add(string key)
    {
        lock (_gate)
        {
            if (_disposed || !_dirty.Add(key))
            {
                return;
            }

            if (!_processing.Contains(key))
            {
                _ready.AddLast(key);
                _signal.Release();
            }
        }
    }

    /// <summary>Adds the key after <paramref name="delay"/>; an earlier pending delay for the key wins.</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var due = _time.GetUtcNow() + delay;
            if (_delayed.TryGetValue(key, out var existing))
            {
                if (_due.TryGetValue(key, out var at) && at <= due)
                {
                    return;
                }

                existing.Dispose();
            }

            _due[key] = due;
            _delayed[key] = _time.CreateTimer(_ => Fire(key), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Adds the key after its next backoff: base × 2^failures, capped.</summary>
    public void AddBackoff(string key)
    {
        int failures;
        lock (_gate)
        {
            failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
        }

        var ticks = _baseDelay.Ticks * Math.Pow(2, Math.Min(failures, 40));
        AddAfter(key, ticks >= _maxDelay.Ticks ? _maxDelay : TimeSpan.FromTicks((long)ticks));
    }

    /// <summary>Clears the key's failure count (call after a successful reconcile).</summary>
    public void Forget(string key)
    {
        lock (_gate)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>How many times the key failed since it was last forgotten.</summary>
    public int Failures(string key)
    {
        lock (_gate)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>Waits for a key; the caller must call <see cref="Done"/> with it.</summary>
    public async Task<string> TakeAsync(CancellationToken ct)
    {
        while (true)
        {
            await _signal.WaitAsync(ct);
            lock (_gate)
            {
                if (_ready.First is { } first)
                {
                    _ready.RemoveFirst();
                    _dirty.Remove(first.Value);
                    _processing.Add(first.Value);
                    return first.Value;
                }
            }
        }
    }

    /// <summary>Ends the reconcile of <paramref name="key"/>; a key added meanwhile is queued again.</summary>
    public void Done(string key)
    {
        lock (_gate)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key) && !_disposed)
            {
                _ready.AddLast(key);
                _signal.Release();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var timer in _delayed.Values)
            {
                timer.Dispose();
            }

            _delayed.Clear();
        }
    }

    private void Fire(string key)
    {
        lock (_gate)
        {
            if (_delayed.Remove(key, out var timer))
            {
                timer.Dispose();
            }

            _due.Remove(key);
        }

        Add(key);
    }
}
