using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.State;

/// <summary>
/// The replicated store's state machine: etcd's revisioned key-value model in memory. Every member applies the
/// committed <see cref="StoreCommand"/>s in log order with <see cref="Apply"/>, which is a pure function of the
/// state and the command (no clock, no randomness, no hash-order dependence), so members that applied the same
/// log hold the same state, answer the same <see cref="CommandResult"/>s and produce the same
/// <see cref="HashKv"/>. The semantics, errors included, are the SQLite store's (verified against etcd 3.4).
/// </summary>
/// <remarks>
/// <para>Thread-safety: none. The host serializes every call (applies and reads alike), for example on the apply
/// loop, and hands readers copies or runs reads on that loop.</para>
/// <para>Ownership: byte arrays in applied commands become part of the state, and the <see cref="KeyValue"/>s
/// handed out share the state's arrays: nobody may change them.</para>
/// <para>Layout: an ordered key index (<see cref="KeyIndex"/>) whose entries link each key's changes newest first,
/// and a revision log of every change still held, in revision order, for watch history, hashing and snapshots.
/// An empty state is at revision 1, as a new etcd is.</para>
/// </remarks>
internal sealed partial class MvccState
{
    private readonly MvccStateOptions _options;
    private readonly KeyIndex _index = new();

    /// <summary>Every change still held, ordered by {revision, sub}.</summary>
    private readonly List<KeyVersion> _log = [];

    private readonly Dictionary<long, LeaseRecord> _leases = [];

    public MvccState(MvccStateOptions? options = null)
    {
        _options = options ?? new MvccStateOptions();
    }

    /// <summary>The latest revision: what a read without a revision sees.</summary>
    public long Revision { get; private set; } = 1;

    /// <summary>The compacted revision: reads below it fail with <see cref="StoreError.Compacted"/>; 0 when never compacted.</summary>
    public long CompactRevision { get; private set; }

    /// <summary>Keys with at least one change held (live keys and deleted keys whose history is not compacted yet).</summary>
    public int KeyCount => _index.Count;

    /// <summary>Changes held in the revision log.</summary>
    public int VersionCount => _log.Count;

    /// <summary>
    /// Applies one committed command and returns the client's answer; <paramref name="events"/> receives the
    /// changes it made, in etcd order (one revision, operations in transaction order, sub-revisions increasing),
    /// for the watchers. A command that fails changes nothing and yields no events.
    /// </summary>
    public CommandResult Apply(StoreCommand command, out IReadOnlyList<StoredEvent> events)
    {
        ArgumentNullException.ThrowIfNull(command);
        Begin();
        try
        {
            CommandResult result = command switch
            {
                TxnCommand txn => new TxnApplied(ApplyTxn(txn.Request)),
                CompactCommand compact => new CompactApplied(ApplyCompact(compact.Revision)),
                LeaseGrantCommand grant => new LeaseGranted(ApplyGrant(grant.Id, grant.Ttl)),
                LeaseRevokeCommand revoke => new LeaseRevoked(ApplyRevoke(revoke.Id)),
                _ => throw new StoreException(StoreError.NotSupported, $"store command {command.GetType().Name} is not supported"),
            };
            events = _events.Count == 0 ? [] : _events.ToArray();
            _events.Clear();
            return result;
        }
        catch (StoreException e)
        {
            Rollback();
            events = [];
            return new CommandFailed(e.Error, e.Message, e.CompactRevision);
        }
        catch
        {
            Rollback();
            throw;
        }
    }

    /// <summary>A lease's granted TTL and the keys attached to it (kept in sync with the live keys' lease fields).</summary>
    private sealed class LeaseRecord(long ttl)
    {
        public long Ttl { get; } = ttl;

        public HashSet<byte[]> Keys { get; } = new(ByteKeyComparer.Instance);
    }
}
