using K3sLab.K3s.Replication.Host;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication;

internal sealed partial class ReplicatedStore
{
    public async Task<TxnResult> TxnAsync(TxnRequest txn, CancellationToken cancellationToken)
    {
        TxnValidation.Validate(txn, _stateOptions.MaxTxnOps);
        if (!txn.CanWrite)
        {
            // A read-only transaction changes nothing: evaluate it on this member's copy after a read barrier.
            await BarrierAsync(serializable: false, cancellationToken).ConfigureAwait(false);
            CommandResult local;
            lock (_stateGate)
            {
                local = _state.Apply(new TxnCommand(txn), out _);
            }

            return Unwrap<TxnApplied>(local).Result;
        }

        return Unwrap<TxnApplied>(await ProposeAsync(new TxnCommand(txn), cancellationToken).ConfigureAwait(false)).Result;
    }

    public async Task<long> CompactAsync(long revision, CancellationToken cancellationToken)
    {
        var result = await ProposeAsync(new CompactCommand(revision), cancellationToken).ConfigureAwait(false);
        return Unwrap<CompactApplied>(result).Revision;
    }

    /// <summary>
    /// Proposes a command and waits for this member to apply it. A request that does not apply within the request
    /// timeout fails with etcd's "request timed out": it may still commit later, as etcd warns.
    /// </summary>
    private async Task<CommandResult> ProposeAsync(StoreCommand command, CancellationToken cancellationToken)
    {
        ThrowIfLearner();
        var request = NextRequest();
        var waiter = new TaskCompletionSource<CommandResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters[request] = waiter;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        timeout.CancelAfter(Host.RequestTimeout);
        try
        {
            var data = new EntryPayload(PayloadKind.StoreRequest, Host.MemberId, request, StoreCommandCodec.Encode(command)).Encode();
            await Host.ProposeAsync(data, timeout.Token).ConfigureAwait(false);
            return await waiter.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            throw new StoreException(StoreError.Timeout, "the request was not committed in time; it may or may not take effect");
        }
        finally
        {
            _waiters.TryRemove(request, out _);
        }
    }

    private void ThrowIfLearner()
    {
        if (Host.Status.ConfState.IsLearner(Host.MemberId))
        {
            throw new StoreException(StoreError.Learner, "this member is a learner: it serves status only until it is promoted");
        }
    }

    private static T Unwrap<T>(CommandResult result)
        where T : CommandResult => result switch
        {
            T ok => ok,
            CommandFailed failed => throw failed.ToException(),
            _ => throw new InvalidOperationException($"expected {typeof(T).Name}, the state answered {result.GetType().Name}"),
        };
}
