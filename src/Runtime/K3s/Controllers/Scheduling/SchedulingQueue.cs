namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// The pods waiting for a node (upstream's PriorityQueue), with its three places: <b>active</b> (ready to try,
/// higher <c>spec.priority</c> first, then first come), <b>backoff</b> (failed recently: back after 1 s doubling per
/// attempt up to 10 s, upstream's defaults) and <b>unschedulable</b> (fit no node: back only when something changes
/// — <see cref="MoveAll"/> on a node added or changed or a pod's room freed — or after 5 minutes, upstream's
/// <c>podMaxInUnschedulablePodsDuration</c>). A pod being tried is "in flight"; a change seen meanwhile sends it to
/// backoff rather than unschedulable when its attempt fails, so an event racing the attempt is never lost.
/// Pure: time is passed in; not thread-safe.
/// </summary>
internal sealed class SchedulingQueue
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxUnschedulable = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, (long NegativePriority, long Seq)> _active = new();
    private readonly PriorityQueue<string, (DateTimeOffset Due, long Seq)> _backoff = new();
    private long _seq;

    private enum Place
    {
        Active,
        Backoff,
        Unschedulable,
        InFlight,
    }

    /// <summary>Pods in each place (for tests and logs).</summary>
    public (int Active, int Backoff, int Unschedulable, int InFlight) Counts =>
        (Count(Place.Active), Count(Place.Backoff), Count(Place.Unschedulable), Count(Place.InFlight));

    public bool Contains(string key) => _entries.ContainsKey(key);

    /// <summary>
    /// A pending pod was added or changed. A new one becomes active; an unschedulable one is retried (its change
    /// may make it fit), subject to its backoff; one in flight is marked changed.
    /// </summary>
    public void Add(string key, long priority, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            entry = new Entry { Priority = priority, LastAttempt = now };
            _entries[key] = entry;
            Activate(key, entry);
            return;
        }

        entry.Priority = priority;
        switch (entry.Place)
        {
            case Place.Unschedulable:
                Requeue(key, entry, now);
                break;
            case Place.InFlight:
                entry.ChangedInFlight = true;
                break;
        }
    }

    /// <summary>The pod is gone, bound elsewhere or no longer this scheduler's.</summary>
    public void Remove(string key) => _entries.Remove(key);

    /// <summary>The next pod to try, or null; it is in flight until <see cref="Done"/>, <see cref="Unschedulable"/> or <see cref="Failed"/>.</summary>
    public string? Pop(DateTimeOffset now)
    {
        Flush(now);
        while (_active.TryDequeue(out var key, out var order))
        {
            if (_entries.TryGetValue(key, out var entry) && entry.Place == Place.Active && entry.Seq == order.Seq)
            {
                entry.Place = Place.InFlight;
                entry.ChangedInFlight = false;
                return key;
            }
        }

        return null;
    }

    /// <summary>The pod was bound: it leaves the queue.</summary>
    public void Done(string key) => _entries.Remove(key);

    /// <summary>The pod fit no node: it waits for a change (or backs off, if one came during the attempt).</summary>
    public void Unschedulable(string key, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return;
        }

        entry.Attempts++;
        entry.LastAttempt = now;
        if (entry.ChangedInFlight)
        {
            Requeue(key, entry, now);
            return;
        }

        entry.Place = Place.Unschedulable;
        entry.UnschedulableSince = now;
    }

    /// <summary>The attempt failed for another reason (the binding was refused, the API unreachable): back off and retry.</summary>
    public void Failed(string key, DateTimeOffset now)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            entry.Attempts++;
            entry.LastAttempt = now;
            Requeue(key, entry, now);
        }
    }

    /// <summary>Something changed that may let waiting pods fit: every unschedulable pod is retried once its backoff ends.</summary>
    public void MoveAll(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.Place == Place.Unschedulable)
            {
                Requeue(key, entry, now);
            }
            else if (entry.Place == Place.InFlight)
            {
                entry.ChangedInFlight = true;
            }
        }
    }

    /// <summary>Moves pods whose backoff ended to active, and pods unschedulable for 5 minutes back to be retried.</summary>
    public void Flush(DateTimeOffset now)
    {
        while (_backoff.TryPeek(out var key, out var due) && due.Due <= now)
        {
            _backoff.Dequeue();
            if (_entries.TryGetValue(key, out var entry) && entry.Place == Place.Backoff && entry.Seq == due.Seq)
            {
                Activate(key, entry);
            }
        }

        foreach (var (key, entry) in _entries)
        {
            if (entry.Place == Place.Unschedulable && entry.UnschedulableSince + MaxUnschedulable <= now)
            {
                Requeue(key, entry, now);
            }
        }
    }

    /// <summary>How long until a waiting pod becomes ready by time alone (null: never, only an event can wake one).</summary>
    public TimeSpan? NextWake(DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        while (_backoff.TryPeek(out var key, out var due))
        {
            if (_entries.TryGetValue(key, out var entry) && entry.Place == Place.Backoff && entry.Seq == due.Seq)
            {
                next = due.Due;
                break;
            }

            _backoff.Dequeue();
        }

        foreach (var entry in _entries.Values)
        {
            if (entry.Place == Place.Unschedulable && (next is null || entry.UnschedulableSince + MaxUnschedulable < next))
            {
                next = entry.UnschedulableSince + MaxUnschedulable;
            }
        }

        return next is { } at ? (at > now ? at - now : TimeSpan.Zero) : null;
    }

    /// <summary>The backoff after <paramref name="attempts"/> failed attempts: 1 s, 2 s, 4 s, 8 s, then 10 s.</summary>
    public static TimeSpan Backoff(int attempts)
    {
        var delay = InitialBackoff;
        for (var i = 1; i < attempts && delay < MaxBackoff; i++)
        {
            delay *= 2;
        }

        return delay > MaxBackoff ? MaxBackoff : delay;
    }

    private void Requeue(string key, Entry entry, DateTimeOffset now)
    {
        var due = entry.LastAttempt + Backoff(entry.Attempts);
        if (entry.Attempts > 0 && due > now)
        {
            entry.Place = Place.Backoff;
            entry.Seq = ++_seq;
            _backoff.Enqueue(key, (due, entry.Seq));
            return;
        }

        Activate(key, entry);
    }

    private void Activate(string key, Entry entry)
    {
        entry.Place = Place.Active;
        entry.Seq = ++_seq;
        _active.Enqueue(key, (-entry.Priority, entry.Seq));
    }

    private int Count(Place place) => _entries.Values.Count(e => e.Place == place);

    private sealed class Entry
    {
        public long Priority { get; set; }

        public Place Place { get; set; }

        public long Seq { get; set; }

        public int Attempts { get; set; }

        public DateTimeOffset LastAttempt { get; set; }

        public DateTimeOffset UnschedulableSince { get; set; }

        public bool ChangedInFlight { get; set; }
    }
}
