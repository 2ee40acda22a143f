using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Supervisor;

/// <summary>
/// <c>POST /v1-k3s/serving-kubelet.crt</c> and <c>/v1-k3s/client-kubelet.crt</c>: a node sends a CSR with headers
/// <c>k3s-Node-Name</c>, <c>k3s-Node-Password</c> and <c>k3s-Node-IP</c>; after the node-password check it gets a
/// certificate (serving: CN and SAN the node name, <c>localhost</c>, 127.0.0.1 and its IPs, from the server CA;
/// client: <c>system:node:&lt;name&gt;</c> in <c>system:nodes</c>, from the client CA) followed by the CA, in PEM.
/// </summary>
/// <remarks>
/// The node-password check is k3s's: the first request for a name stores the scrypt hash of its password in secret
/// <c>kube-system/&lt;name&gt;.node-password.k3s</c> (type <c>k3s.cattle.io/node-password</c>, immutable, owned by the
/// Node when it exists); later requests must bring the same password (else 403). A request made with a node's
/// client certificate must name that node (else 400), and that Node must still exist (else 401). A password that
/// matched once is remembered with the hash it matched (<see cref="NodePasswordMemo"/>), so only a node's first
/// request, or one against a changed secret, pays for scrypt.
/// </remarks>
internal sealed class KubeletCertificates(ClusterTls tls, ObjectStorage storage, TimeProvider time)
{
    private static readonly ResourceKind Secrets = new(string.Empty, "secrets", true);
    private static readonly ResourceKind Nodes = new(string.Empty, "nodes", false);

    private readonly NodePasswordMemo _memo = new();

    public async Task HandleAsync(HttpContext context, bool serving)
    {
        var name = context.Request.Headers["k3s-Node-Name"].FirstOrDefault()?.Trim().ToLowerInvariant();
        var password = context.Request.Headers["k3s-Node-Password"].FirstOrDefault();
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(password))
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest, "header k3s-Node-Name and k3s-Node-Password are required");
            return;
        }

        var user = (UserInfo)context.Items[UserInfo.ItemKey]!;
        if (user.Name.StartsWith("system:node:", StringComparison.Ordinal))
        {
            if (user.Name != "system:node:" + name)
            {
                await PlainAsync(context, StatusCodes.Status400BadRequest, $"the client certificate of {user.Name} cannot ask for node {name}");
                return;
            }

            if (await NodeUidAsync(name, context.RequestAborted) is null)
            {
                await PlainAsync(context, StatusCodes.Status401Unauthorized, "not authorized");
                return;
            }
        }

        if (!await PasswordMatchesAsync(name, password, context.RequestAborted))
        {
            await PlainAsync(context, StatusCodes.Status403Forbidden, "forbidden");
            return;
        }

        string csr;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            csr = await reader.ReadToEndAsync(context.RequestAborted);
        }

        X509Certificate2 issued;
        try
        {
            issued = serving
                ? tls.ServerCa.IssueForRequest(csr, Subject(name, null), serving: true, [name, "localhost"], [IPAddress.Loopback, .. NodeIps(context)])
                : tls.ClientCa.IssueForRequest(csr, Subject("system:node:" + name, "system:nodes"), serving: false, [], []);
        }
        catch (CryptographicException e)
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest, $"the body is not a valid PEM certificate signing request: {e.Message}");
            return;
        }

        using (issued)
        {
            var ca = serving ? tls.ServerCa.Certificate : tls.ClientCa.Certificate;
            await PlainAsync(context, StatusCodes.Status200OK, issued.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n");
        }
    }

    private static X500DistinguishedName Subject(string commonName, string? organization)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        if (organization is not null)
        {
            builder.AddOrganizationName(organization);
        }

        return builder.Build();
    }

    private static IEnumerable<IPAddress> NodeIps(HttpContext context) =>
        (context.Request.Headers["k3s-Node-IP"].FirstOrDefault() ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => IPAddress.TryParse(s, out var ip) ? ip : null)
            .OfType<IPAddress>();

    private async Task<string?> NodeUidAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var node = await storage.GetAsync(Nodes, string.Empty, name, cancellationToken);
            return node.Object["metadata"]?["uid"]?.GetValue<string>();
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
            return null;
        }
    }

    /// <summary>Checks the password against the node's secret, creating the secret on the first request for the name.</summary>
    private async Task<bool> PasswordMatchesAsync(string name, string password, CancellationToken cancellationToken)
    {
        var secretName = name + ".node-password.k3s";
        try
        {
            var secret = await storage.GetAsync(Secrets, "kube-system", secretName, cancellationToken);
            if (secret.Object["data"]?["hash"]?.GetValue<string>() is not { } stored)
            {
                return false;
            }

            var hash = Encoding.UTF8.GetString(Convert.FromBase64String(stored));
            if (_memo.Matches(name, hash, password))
            {
                return true;
            }

            if (!NodePasswordHash.Verify(password, hash))
            {
                _memo.Forget(name);
                return false;
            }

            _memo.Remember(name, hash, password);
            return true;
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
        }

        var metadata = new JsonObject { ["name"] = secretName, ["namespace"] = "kube-system" };
        if (await NodeUidAsync(name, cancellationToken) is { } uid)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = name, ["uid"] = uid });
        }

        ObjectDefaults.PrepareCreate(metadata, time.GetUtcNow(), hasSpec: false);
        var newHash = NodePasswordHash.Create(password);
        var created = new JsonObject
        {
            ["kind"] = "Secret",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata,
            ["type"] = "k3s.cattle.io/node-password",
            ["immutable"] = true,
            ["data"] = new JsonObject { ["hash"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(newHash)) },
        };
        try
        {
            await storage.CreateAsync(Secrets, "kube-system", secretName, created, cancellationToken);
            _memo.Remember(name, newHash, password);
            return true;
        }
        catch (ApiStatusException e) when (e.Code == 409)
        {
            // Two requests for a new name raced: the one stored decides.
            return await PasswordMatchesAsync(name, password, cancellationToken);
        }
    }

    private static Task PlainAsync(HttpContext context, int code, string text) => SupervisorEndpoints.PlainAsync(context, code, text);
}
