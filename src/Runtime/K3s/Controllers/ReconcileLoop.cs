using System.Net;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers;

/// <summary>
/// Hands a controller's keys to a number of concurrent reconciles until cancelled. A reconcile that
/// throws an API, transport or JSON error, or a <see cref="RetryLaterException"/>, is retried with the key's backoff (a 409 conflict, the normal outcome of
/// racing another writer, is not logged); a successful one forgets the key's failures. Any other exception is a bug:
/// it is logged with its stack and the key backs off, so one bad object never stops the controller.
/// </summary>
internal static partial class ReconcileLoop
{
    public static Task RunAsync(string controller, WorkQueue queue, Func<string, CancellationToken, Task> reconcile, int workers, ILogger logger, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(controller, queue, reconcile, logger, ct), CancellationToken.None)));

    private static async Task WorkAsync(string controller, WorkQueue queue, Func<string, CancellationToken, Task> reconcile, ILogger logger, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            string key;
            try
            {
                key = await queue.TakeAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await reconcile(key, ct);
                queue.Forget(key);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
            {
                queue.AddBackoff(key);
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException or OperationCanceledException or System.Text.Json.JsonException or RetryLaterException)
            {
                Log.Failed(logger, controller, key, queue.Failures(key) + 1, e.Message);
                queue.AddBackoff(key);
            }
#pragma warning disable CA1031 // A controller outlives a bug in one reconcile; the bug is logged with its stack.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.Crashed(logger, e, controller, key);
                queue.AddBackoff(key);
            }
            finally
            {
                queue.Done(key);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "{Controller}: syncing {Key} failed (attempt {Attempt}), retrying with backoff: {Reason}")]
        public static partial void Failed(ILogger logger, string controller, string key, int attempt, string reason);

        [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "{Controller}: syncing {Key} threw; retrying with backoff")]
        public static partial void Crashed(ILogger logger, Exception exception, string controller, string key);
    }
}
