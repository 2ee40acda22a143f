using System.Data.Common;

namespace K3sLab.K3s.Store.Sql;

internal sealed partial class SqlStore
{
    public Task<RangeResult> RangeAsync(RangeQuery query, CancellationToken cancellationToken)
    {
        TxnValidation.ValidateRange(query);
        try
        {
            using var db = _dialect.OpenReader();
            using var tx = _dialect.BeginRead(db);
            // On a shared database another server may have written since this one last polled: a read sees every
            // committed write, as in etcd, so it reads at the database's revision inside its own snapshot (which
            // includes every commit of this server that completed before the read began).
            var current = _dialect.Shared ? Refresh(db, tx) : CurrentRevision;
            var at = query.Revision > 0 ? query.Revision : current;
            ReadChecks.Check(at, current, CompactRevision);
            var result = SqlReads.Range(db, tx, query, at);

            // Compaction raises the compacted revision before it deletes anything, so a read that started
            // before a compaction past its revision may have lost rows: fail it as etcd would have.
            ReadChecks.Check(at, current, CompactRevision);
            return Task.FromResult(result with { Revision = current });
        }
        catch (DbException e)
        {
            throw _dialect.ToStore(e);
        }
    }

    async Task<(IReadOnlyList<StoredEvent> Events, long Through)> Watch.IWatchHistory.ReadAsync(long from, long to, CancellationToken cancellationToken)
    {
        const int pageRows = 5000;
        await Task.Yield();
        try
        {
            using var db = _dialect.OpenReader();
            var (events, through) = SqlReads.Events(db, from, to, pageRows);
            return (events, through);
        }
        catch (DbException e)
        {
            throw _dialect.ToStore(e);
        }
    }
}
