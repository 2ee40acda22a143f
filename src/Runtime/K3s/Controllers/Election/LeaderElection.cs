namespace K3sLab.K3s.Controllers.Election;

/// <summary>What to do with the lease after looking at it.</summary>
internal enum ElectionAction
{
    /// <summary>No lease exists: create <see cref="ElectionStep.Record"/>.</summary>
    Create,

    /// <summary>Write <see cref="ElectionStep.Record"/> over the version read (acquire a lapsed lease, or renew ours).</summary>
    Update,

    /// <summary>Another candidate holds a live lease: try again later.</summary>
    Wait,
}

/// <summary>One step of leader election: the action and, for writes, the record to write.</summary>
internal sealed record ElectionStep(ElectionAction Action, LeaseRecord? Record, string Holder);

/// <summary>
/// The pure core of Lease-based leader election (client-go's leaderelection rules). A lease is live while it keeps
/// changing: expiry is measured from when <em>this</em> candidate last saw the record change, on its own clock, never
/// from the renewTime another machine wrote, so clock skew between servers cannot hand the lease to two holders.
/// Not thread-safe; one instance per candidate and lease.
/// </summary>
internal sealed class LeaderElection(string identity, TimeSpan leaseDuration)
{
    private LeaseRecord? _observed;
    private DateTimeOffset _observedAt;

    public string Identity { get; } = identity;

    /// <summary>Decides from the lease as read now (<paramref name="current"/> null when it does not exist).</summary>
    public ElectionStep Decide(LeaseRecord? current, DateTimeOffset now)
    {
        var mine = new LeaseRecord(Identity, (int)Math.Ceiling(leaseDuration.TotalSeconds), now, now, 0);
        if (current is null)
        {
            return new ElectionStep(ElectionAction.Create, mine, Identity);
        }

        if (_observed != current)
        {
            _observed = current;
            _observedAt = now;
        }

        var duration = current.DurationSeconds > 0 ? TimeSpan.FromSeconds(current.DurationSeconds) : leaseDuration;
        if (current.Holder.Length > 0 && current.Holder != Identity && _observedAt + duration > now)
        {
            return new ElectionStep(ElectionAction.Wait, null, current.Holder);
        }

        var record = current.Holder == Identity
            ? mine with { AcquireTime = current.AcquireTime ?? now, Transitions = current.Transitions }
            : mine with { Transitions = current.Transitions + 1 };
        return new ElectionStep(ElectionAction.Update, record, Identity);
    }

    /// <summary>Records that a write of <paramref name="written"/> succeeded at <paramref name="now"/>.</summary>
    public void Wrote(LeaseRecord written, DateTimeOffset now)
    {
        _observed = written;
        _observedAt = now;
    }

    /// <summary>The record that gives the lease up (empty holder, 1 s duration), as client-go writes on release.</summary>
    public static LeaseRecord Released(LeaseRecord current, DateTimeOffset now) =>
        current with { Holder = string.Empty, DurationSeconds = 1, RenewTime = now, AcquireTime = now };
}
