using Microsoft.Data.Sqlite;

namespace K3sLab.K3s.Store.Sqlite;

internal sealed partial class SqliteStore
{
    public Task<RangeResult> RangeAsync(RangeQuery query, CancellationToken cancellationToken)
    {
        TxnValidation.ValidateRange(query);
        var current = CurrentRevision;
        var at = query.Revision > 0 ? query.Revision : current;
        ReadChecks.Check(at, current, CompactRevision);
        try
        {
            using var db = OpenReader();
            using var tx = db.BeginTransaction(deferred: true);
            var result = SqliteReads.Range(db, tx, query, at);

            // Compaction raises the compacted revision before it deletes anything, so a read that started
            // before a compaction past its revision may have lost rows: fail it as etcd would have.
            ReadChecks.Check(at, current, CompactRevision);
            return Task.FromResult(result with { Revision = current });
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.ToStore(e);
        }
    }

    async Task<(IReadOnlyList<StoredEvent> Events, long Through)> Watch.IWatchHistory.ReadAsync(long from, long to, CancellationToken cancellationToken)
    {
        const int pageRows = 5000;
        await Task.Yield();
        using var db = OpenReader();
        var (events, through) = SqliteReads.Events(db, from, to, pageRows);
        return (events, through);
    }
}
