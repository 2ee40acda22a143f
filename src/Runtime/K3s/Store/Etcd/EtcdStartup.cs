using Grpc.Core;
using Wire = K3sLab.K3s.Etcd.Wire;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>
/// The startup check of an external etcd cluster: some member must answer Status and know a leader. Failures that
/// time can mend (nothing listening yet, no leader yet) are retried with back-off until the startup timeout; failures
/// that only a configuration change mends (the member's certificate is refused, the member wants a client certificate,
/// http against https) stop at once when every member fails that way. Either way the error names every endpoint.
/// </summary>
internal static class EtcdStartup
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(4);

    public static async Task<Wire.StatusResponse> WaitForClusterAsync(EtcdMembers members, EtcdClientOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.StartupTimeout;
        var backoff = FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            var failures = new List<EtcdStartupFailure>();
            foreach (var member in members.Current)
            {
                var remaining = deadline - DateTime.UtcNow;
                var timeout = remaining < options.RequestTimeout ? (remaining > TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1)) : options.RequestTimeout;
                try
                {
                    // Status answers without a leader, so it works without the hasleader metadata and reports the leader itself.
                    var status = await member.Maintenance.StatusAsync(new Wire.StatusRequest(), new CallOptions(deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    if (status.Leader != 0)
                    {
                        return status;
                    }

                    failures.Add(new EtcdStartupFailure(member.Display, "the member knows no leader (the cluster has no quorum yet)", Permanent: false));
                }
                catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
                {
                    failures.Add(EtcdStartupFailure.Explain(member.Endpoint, member.Display, member.TlsRejection, options.CertFile is not null, e.StatusCode, e.Status.Detail, e.Status.DebugException));
                }
            }

            var summary = string.Join("; ", failures.Select(f => $"{f.Endpoint}: {f.Reason}"));
            if (failures.All(f => f.Permanent))
            {
                throw new StoreException(StoreError.Unavailable, $"the etcd cluster {members.Describe()} cannot be used: {summary}");
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new StoreException(StoreError.Unavailable, $"the etcd cluster {members.Describe()} did not answer within {options.StartupTimeout.TotalSeconds:0} s: {summary}");
            }

            EtcdClientStore.Log.Waiting(logger, attempt, (int)left.TotalSeconds, summary);
            await Task.Delay(backoff < left ? backoff : left, cancellationToken).ConfigureAwait(false);
            backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
        }
    }
}

/// <summary>Why one member failed the startup check, in words that say what to change; <see cref="Permanent"/> when waiting will not help. Pure.</summary>
internal sealed record EtcdStartupFailure(string Endpoint, string Reason, bool Permanent)
{
    public static EtcdStartupFailure Explain(Uri endpoint, string display, string? tlsRejection, bool clientCertificate, StatusCode code, string detail, Exception? debug)
    {
        if (tlsRejection is not null)
        {
            return new(display, $"TLS: {tlsRejection}", Permanent: true);
        }

        var chain = Messages(debug);
        var https = endpoint.Scheme == Uri.UriSchemeHttps;
        if (https && Has(chain, "frame size", "corrupted frame", "wrong version number", "unexpected packet format", "unexpected EOF or 0 bytes"))
        {
            return new(display, "the member closed the connection during the TLS handshake: it does not serve TLS there; use http:// for this endpoint or enable TLS on the member", Permanent: true);
        }

        // TLS 1.3: the member checks the client certificate after the handshake and drops the connection before HTTP/2 starts.
        if (https && Has(chain, "certificate required", "bad certificate", "certificate unknown", "did not complete the HTTP/2 handshake"))
        {
            return new(display, clientCertificate
                ? "the member dropped the connection after the TLS handshake: it does not accept the --datastore-certfile client certificate (is it signed by the member's --trusted-ca-file?)"
                : "the member dropped the connection after the TLS handshake: it requires a client certificate (etcd --client-cert-auth); give --datastore-certfile and --datastore-keyfile", Permanent: true);
        }

        if (!https && Has(chain, "HTTP request to an HTTPS server", "HTTP/1.", "response ended prematurely", "invalid HTTP", "protocol error", "HTTP_1_1_REQUIRED", "InvalidResponse"))
        {
            return new(display, "the member did not answer plain HTTP/2: it probably serves TLS there; use https:// with --datastore-cafile (and a client certificate if it asks for one)", Permanent: true);
        }

        if (EtcdRpcErrors.IsConnectFailure(debug))
        {
            return new(display, $"unreachable: {(debug is null ? detail : EtcdRpcErrors.Innermost(debug))}", Permanent: false);
        }

        if (code == StatusCode.DeadlineExceeded)
        {
            return new(display, "did not answer in time", Permanent: false);
        }

        return new(display, debug is null ? $"{code}: {detail}" : $"{code}: {detail} ({EtcdRpcErrors.Innermost(debug)})", Permanent: false);
    }

    private static List<string> Messages(Exception? e)
    {
        var messages = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
        {
            messages.Add(x.Message);
            if (x is HttpRequestException { HttpRequestError: var error })
            {
                messages.Add(error.ToString());
            }
        }

        return messages;
    }

    private static bool Has(List<string> messages, params string[] needles) =>
        messages.Any(m => needles.Any(n => m.Contains(n, StringComparison.OrdinalIgnoreCase)));
}
