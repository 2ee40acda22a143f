using System.Text;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.ApiServer;

/// <summary>
/// <c>/healthz</c>, <c>/livez</c> and <c>/readyz</c> as kube-apiserver's healthz package serves them: each runs its
/// named checks (<c>ping</c>, <c>log</c>, and <c>etcd</c> for readyz and healthz) and answers <c>ok</c>; with
/// <c>?verbose</c> one <c>[+]name ok</c> line per check and <c>&lt;endpoint&gt; check passed</c>; <c>?exclude=name</c>
/// skips a check (<c>[+]name excluded: ok</c>, and a warning line for names it does not know). A failure is a 500
/// listing every check, always verbose, ending <c>&lt;endpoint&gt; check failed</c>. Each check is also its own path
/// (<c>/readyz/etcd</c>): <c>ok</c>, or a 500 <c>internal server error: why</c>. Unlike kube-apiserver, the
/// aggregate names the reason instead of "reason withheld": the store's reasons here carry no secret (datastore
/// URLs are shown with their password masked).
/// </summary>
internal static class HealthEndpoints
{
    private sealed record Check(string Name, Func<CancellationToken, Task<string?>> Run);

    public static void Map(WebApplication app, IRevisionedStore store)
    {
        var ping = new Check("ping", _ => Task.FromResult<string?>(null));
        var log = new Check("log", _ => Task.FromResult<string?>(null));
        var etcd = new Check("etcd", ct => DatastoreHealth.CheckAsync(store, ct));
        MapEndpoint(app, "healthz", [ping, log, etcd]);
        MapEndpoint(app, "livez", [ping, log]);
        MapEndpoint(app, "readyz", [ping, log, etcd]);
    }

    private static void MapEndpoint(WebApplication app, string name, Check[] checks)
    {
        app.MapGet("/" + name, context => WriteAllAsync(context, name, checks));
        foreach (var check in checks)
        {
            app.MapGet($"/{name}/{check.Name}", context => WriteOneAsync(context, check));
        }
    }

    private static async Task WriteAllAsync(HttpContext context, string name, Check[] checks)
    {
        var ct = context.RequestAborted;
        var excluded = context.Request.Query["exclude"].Where(e => !string.IsNullOrEmpty(e)).Select(e => e!.Trim()).ToHashSet(StringComparer.Ordinal);
        var lines = new StringBuilder();
        var failed = false;
        foreach (var check in checks)
        {
            if (excluded.Remove(check.Name))
            {
                lines.Append("[+]").Append(check.Name).Append(" excluded: ok\n");
                continue;
            }

            if (await check.Run(ct) is { } why)
            {
                lines.Append("[-]").Append(check.Name).Append(" failed: ").Append(why).Append('\n');
                failed = true;
            }
            else
            {
                lines.Append("[+]").Append(check.Name).Append(" ok\n");
            }
        }

        if (excluded.Count > 0)
        {
            lines.Append("warn: some health checks cannot be excluded: no matches for ")
                .AppendJoin(",", excluded.Order(StringComparer.Ordinal).Select(e => $"\"{e}\"")).Append('\n');
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (failed)
        {
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync($"{lines}{name} check failed\n", ct);
            return;
        }

        await context.Response.WriteAsync(context.Request.Query.ContainsKey("verbose") ? $"{lines}{name} check passed\n" : "ok", ct);
    }

    private static async Task WriteOneAsync(HttpContext context, Check check)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (await check.Run(context.RequestAborted) is { } why)
        {
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync($"internal server error: {why}\n", context.RequestAborted);
            return;
        }

        await context.Response.WriteAsync("ok", context.RequestAborted);
    }
}
