namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// One unit of work for the single writer. Items of a batch share one transaction and so one commit; each
/// runs inside its own savepoint, so a failing item rolls back alone. An exclusive item runs in a batch of its own;
/// an item outside any transaction (checkpoint, vacuum) is exclusive too.
/// </summary>
internal abstract class WriteItem
{
    public bool Exclusive { get; init; }

    public bool OutsideTransaction { get; init; }

    /// <summary>Runs in a serializable transaction of its own (compaction).</summary>
    public bool Serializable { get; init; }

    /// <summary>False only for items that cannot fail after their first write (a lone put), which then skip the savepoint.</summary>
    public bool NeedsSavepoint { get; init; } = true;

    /// <summary>Runs on the writer's connection; throws <see cref="StoreException"/> to roll this item back.</summary>
    public abstract void Run(SqlWriter writer);

    /// <summary>Completes the caller's task after the batch committed (or ran, for items outside a transaction).</summary>
    public abstract void Complete();

    public abstract void Fail(Exception error);
}

/// <inheritdoc />
internal sealed class WriteItem<T>(Func<SqlWriter, T> run) : WriteItem
{
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;

    public Task<T> Task => _done.Task;

    public override void Run(SqlWriter writer) => _result = run(writer);

    public override void Complete() => _done.TrySetResult(_result!);

    public override void Fail(Exception error) => _done.TrySetException(error);
}
