namespace K3sLab.K3s.Store.Etcd;

/// <summary>
/// Where one watch over a real etcd stands, across however many gRPC streams it takes: the next revision it still
/// has to deliver, so a broken stream resumes on another member at exactly that revision (no gap: etcd replays from
/// it; no duplicate: every revision before it was delivered whole, since etcd never splits a revision's events across
/// responses unless asked to fragment). Pure; the watch host feeds it each response and delivers what it returns.
/// </summary>
internal sealed class EtcdWatchCursor(long startRevision)
{
    /// <summary>The next revision to deliver; 0 until the first stream is created for a watch that started "from now".</summary>
    public long Next { get; private set; } = startRevision;

    /// <summary>True once a final batch was returned: the watch must not resume.</summary>
    public bool Ended { get; private set; }

    /// <summary>Every revision up to this one has been delivered; -1 while unknown (a "from now" watch not yet created).</summary>
    public long Delivered => Next == 0 ? -1 : Next - 1;

    /// <summary>The start revision for a (re)created stream: <see cref="Next"/>, or 0 ("from now") before the first creation.</summary>
    public long ResumeRevision => Next;

    /// <summary>A stream was created; <paramref name="headerRevision"/> is the store revision at creation, after which a "from now" watch starts.</summary>
    public void Created(long headerRevision)
    {
        if (Next == 0)
        {
            Next = headerRevision + 1;
        }
    }

    /// <summary>
    /// A response with events, a progress notification, or a cancellation. Returns the batch to deliver, or null.
    /// <paramref name="progressTrusted"/>: the member's progress notifications are ordered after the events they cover
    /// (etcd 3.4.31+, 3.5.13+); older ones may overtake undelivered events, so their revision is not taken on trust.
    /// </summary>
    public WatchBatch? Apply(IReadOnlyList<WatchEvent> events, long headerRevision, bool canceled, long compactRevision, string cancelReason, bool progressTrusted)
    {
        if (Ended)
        {
            return null;
        }

        if (canceled || compactRevision != 0)
        {
            Ended = true;
            return compactRevision != 0
                ? new WatchBatch([], compactRevision) { CompactRevision = compactRevision, CancelReason = "mvcc: required revision has been compacted" }
                : new WatchBatch([], Delivered) { CancelReason = cancelReason.Length == 0 ? "etcd canceled the watch" : cancelReason };
        }

        if (events.Count == 0)
        {
            if (progressTrusted && headerRevision >= Next && Next != 0)
            {
                Next = headerRevision + 1;
            }

            return Next == 0 ? null : new WatchBatch([], Delivered);
        }

        // A stream resumed at Next never repeats earlier revisions; this guards against a member that does.
        var fresh = events.Where(e => e.Kv.ModRevision >= Next).ToList();
        if (fresh.Count == 0)
        {
            return null;
        }

        var last = fresh[^1].Kv.ModRevision;
        Next = last + 1;
        return new WatchBatch(fresh, last);
    }

    /// <summary>A progress mark at what has been delivered, for members whose own marks are not trusted; null before creation.</summary>
    public WatchBatch? Mark() => Next == 0 || Ended ? null : new WatchBatch([], Delivered);
}
