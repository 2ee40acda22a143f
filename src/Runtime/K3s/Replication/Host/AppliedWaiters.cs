namespace K3sLab.K3s.Replication.Host;

/// <summary>Callers waiting until the host has applied through an index (reads after a ReadIndex). Thread-safe.</summary>
internal sealed class AppliedWaiters
{
    private readonly object _gate = new();
    private readonly PriorityQueue<TaskCompletionSource, ulong> _waiters = new();
    private ulong _applied;

    public ulong Applied
    {
        get
        {
            lock (_gate)
            {
                return _applied;
            }
        }
    }

    /// <summary>Completes when the applied index reaches <paramref name="index"/>.</summary>
    public Task WaitAsync(ulong index)
    {
        lock (_gate)
        {
            if (_applied >= index)
            {
                return Task.CompletedTask;
            }

            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(tcs, index);
            return tcs.Task;
        }
    }

    public void Advance(ulong applied)
    {
        List<TaskCompletionSource> done = [];
        lock (_gate)
        {
            _applied = Math.Max(_applied, applied);
            while (_waiters.TryPeek(out var tcs, out var index) && index <= _applied)
            {
                _waiters.Dequeue();
                done.Add(tcs);
            }
        }

        foreach (var tcs in done)
        {
            tcs.TrySetResult();
        }
    }

    /// <summary>Fails every waiter (the host is stopping).</summary>
    public void FailAll(Exception reason)
    {
        List<TaskCompletionSource> all = [];
        lock (_gate)
        {
            while (_waiters.TryDequeue(out var tcs, out _))
            {
                all.Add(tcs);
            }
        }

        foreach (var tcs in all)
        {
            tcs.TrySetException(reason);
        }
    }
}
