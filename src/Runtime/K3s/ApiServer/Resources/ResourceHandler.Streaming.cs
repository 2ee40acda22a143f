using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Kubelets;
using Microsoft.AspNetCore.Http.Features;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// <c>pods/exec</c>, <c>pods/attach</c> and <c>pods/portforward</c>, as kube-apiserver's pod REST serves them: find the
/// pod (404), choose the container (400 <c>container c is not valid for pod p</c>, or the choice message), refuse a
/// completed pod (400 <c>cannot exec into a container in a completed pod; current phase is Succeeded</c>) and one
/// without a node (400 <c>pod p does not have a host assigned</c>), then relay the HTTP/1.1 upgrade to the node's
/// kubelet (<c>/exec</c>, <c>/attach</c>, <c>/portForward</c>) the way kube-apiserver's UpgradeAwareHandler does,
/// through the agent's tunnel or directly (<see cref="KubeletClient"/>). The kubelet's answer comes back as it is:
/// a 101 and then the upgraded bytes both ways, or its error, which clients print as
/// <c>unable to upgrade connection: ...</c>. Authorization (verb <c>create</c> for POST, <c>get</c> for the GET of a
/// WebSocket) happened before.
/// </summary>
internal sealed partial class ResourceHandler
{
    /// <summary>Serves one streaming subresource of a pod.</summary>
    public async Task StreamAsync(HttpContext context, RequestInfo info, CancellationToken ct)
    {
        if (info.Verb is not ("get" or "create"))
        {
            throw ApiErrors.MethodNotSupported(string.Empty, $"pods/{info.Subresource}", info.Verb);
        }

        var query = context.Request.Query;
        var pod = (await storage.GetAsync(Pods, info.Namespace, info.Name, ct)).Object;
        var parameters = new List<(string Key, string Value)>();
        string path;
        if (info.Subresource == "portforward")
        {
            path = $"/portForward/{info.Namespace}/{info.Name}";
            parameters.AddRange(query["ports"].Where(p => !string.IsNullOrEmpty(p)).Select(p => ("port", p!)));
        }
        else
        {
            var container = ChooseContainer(pod, info.Name, query["container"].LastOrDefault());
            if (pod["status"]?["phase"]?.GetValue<string>() is var phase && phase is "Succeeded" or "Failed")
            {
                throw ApiErrors.BadRequest(info.Subresource == "exec"
                    ? $"cannot exec into a container in a completed pod; current phase is {phase}"
                    : $"cannot attach to a container in a completed pod; current phase is {phase}");
            }

            path = $"/{info.Subresource}/{info.Namespace}/{info.Name}/{container}";

            // The kubelet's names for the streams (kube-apiserver's streamParams).
            foreach (var (flag, name) in new[] { ("stdin", "input"), ("stdout", "output"), ("stderr", "error"), ("tty", "tty") })
            {
                if (RequestInfo.IsTrue(query[flag].LastOrDefault()))
                {
                    parameters.Add((name, "1"));
                }
            }

            if (info.Subresource == "exec")
            {
                parameters.AddRange(query["command"].Select(c => ("command", c ?? string.Empty)));
            }
        }

        if (pod["spec"]?["nodeName"]?.GetValue<string>() is not { Length: > 0 } nodeName)
        {
            throw ApiErrors.BadRequest($"pod {info.Name} does not have a host assigned");
        }

        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            throw ApiErrors.BadRequest("Upgrade request required");
        }

        if (kubelets is null)
        {
            throw ApiErrors.ServiceUnavailable("this server has no kubelet client");
        }

        var node = (await storage.GetAsync(NodesKind, string.Empty, nodeName, ct)).Object;
        if (IsHollow(node))
        {
            throw HollowNodeRefusal(info.Subresource, info.Name, nodeName);
        }

        var host = KubeletHost(node, nodeName);
        var port = KubeletPort(node);
        var authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
        var pathAndQuery = parameters.Count == 0 ? path : path + "?" + string.Join('&', parameters.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        Stream kubelet;
        try
        {
            kubelet = await kubelets.OpenAsync(nodeName, host, port, ct);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
        {
            throw ApiErrors.Internal($"error dialing backend: dial tcp {authority}: {(e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused } ? "connect: connection refused" : e.Message)}");
        }

        await using (kubelet)
        {
            UpgradeResponseHead head;
            try
            {
                await KubeletUpgrade.SendRequestAsync(kubelet, context.Request.Method, pathAndQuery, authority, context.Request.Headers, ct);
                head = await KubeletUpgrade.ReadHeadAsync(kubelet, ct);
            }
            catch (Exception e) when (e is IOException or FormatException)
            {
                throw ApiErrors.Internal($"error proxying to the kubelet of node {nodeName}: {e.Message}");
            }

            if (head.Status != StatusCodes.Status101SwitchingProtocols)
            {
                // kube-apiserver hands the kubelet's refusal back as it came; client-go prints its body.
                var body = await KubeletUpgrade.ReadBodyAsync(kubelet, head, ct);
                context.Response.StatusCode = head.Status;
                context.Response.ContentType = head["Content-Type"] ?? "text/plain; charset=utf-8";
                await context.Response.Body.WriteAsync(body, ct);
                return;
            }

            foreach (var (name, value) in head.Headers)
            {
                if (!string.Equals(name, "Connection", StringComparison.OrdinalIgnoreCase) && !string.Equals(name, "Date", StringComparison.OrdinalIgnoreCase)
                    && !string.Equals(name, "Server", StringComparison.OrdinalIgnoreCase))
                {
                    context.Response.Headers.Append(name, value);
                }
            }

            await using var client = await upgrade.UpgradeAsync();
            await KubeletUpgrade.PumpAsync(client, kubelet, head.Rest, ct);
        }
    }
}
