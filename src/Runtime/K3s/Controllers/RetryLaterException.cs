namespace K3sLab.K3s.Controllers;

/// <summary>
/// Thrown by a reconcile that cannot finish now for a reason it has described (an object that does not parse yet, a
/// review that did not allow an action: client-go controllers' returned errors): <see cref="ReconcileLoop"/> logs the
/// message without a stack and retries the key with its backoff, as for an API error.
/// </summary>
internal sealed class RetryLaterException : Exception
{
    public RetryLaterException()
    {
    }

    public RetryLaterException(string message)
        : base(message)
    {
    }

    public RetryLaterException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
