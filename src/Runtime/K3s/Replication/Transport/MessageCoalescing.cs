using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>
/// Merges two messages queued back to back for the same peer into one that has the same effect on the receiver, so
/// a burst of proposals travels as a few appends instead of one per proposal (the core sends an append per
/// proposal and per acknowledgement that moves the commit index).
/// </summary>
/// <remarks>
/// Two cases, both in the order the core produced them:
/// <list type="bullet">
/// <item>Appends of one term where the second continues exactly where the first ends (its previous index and term
/// are the first one's last entry): one append of both entry runs, with the later commit index. The follower
/// appends the same entries and answers once, for the last index; that answer frees the leader's inflight slots
/// for both.</item>
/// <item>Successful append acknowledgements of one term: the one with the higher index. The leader only ever raises
/// a follower's match index, so the lower one would change nothing after the higher.</item>
/// </list>
/// Refusals, heartbeats, votes and snapshots are never merged.
/// </remarks>
internal static class MessageCoalescing
{
    /// <summary>Bounds a merged append, as the core bounds the appends it builds.</summary>
    public const int MaxEntries = 1024;

    public static bool TryMerge(Message first, Message second, out Message merged)
    {
        merged = first;
        if (first.Term != second.Term || first.From != second.From || first.To != second.To || first.Type != second.Type)
        {
            return false;
        }

        switch (first.Type)
        {
            case MessageType.Append:
                var firstLast = first.Entries.Count == 0 ? (Index: first.Index, Term: first.LogTerm) : (first.Entries[^1].Index, first.Entries[^1].Term);
                if (second.Index != firstLast.Index || second.LogTerm != firstLast.Term || first.Entries.Count + second.Entries.Count > MaxEntries)
                {
                    return false;
                }

                merged = first with
                {
                    Entries = second.Entries.Count == 0 ? first.Entries : first.Entries.Count == 0 ? second.Entries : [.. first.Entries, .. second.Entries],
                    Commit = Math.Max(first.Commit, second.Commit),
                    CommitOnly = first.CommitOnly && second.CommitOnly,
                };
                return true;
            case MessageType.AppendResponse when !first.Reject && !second.Reject:
                merged = second.Index >= first.Index ? second : first;
                return true;
            default:
                return false;
        }
    }
}
