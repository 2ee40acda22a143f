using Microsoft.Extensions.Primitives;

namespace K3sLab.K3s.ApiServer.Resources.Tables;

/// <summary>What a request asks of a table: <c>kubectl get</c> sends <c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...</c>.</summary>
internal enum IncludeObject
{
    None,
    Metadata,
    Object,
}

/// <summary>Parses the Accept header and <c>includeObject</c> for server-side tables. Pure.</summary>
internal sealed record TableRequest(string Version, IncludeObject Include)
{
    /// <summary>The table the client accepts first, or null when it wants plain objects.</summary>
    public static TableRequest? From(StringValues accept, string? includeObject)
    {
        foreach (var media in accept.SelectMany(a => (a ?? string.Empty).Split(',')))
        {
            var parts = media.Split(';').Select(p => p.Trim()).ToList();
            if (parts[0] is not ("application/json" or "*/*" or "application/*"))
            {
                continue;
            }

            var parameters = parts.Skip(1).Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            if (parameters.GetValueOrDefault("as") != "Table")
            {
                // The first acceptable media type that is not a table wins: the client prefers plain objects.
                return null;
            }

            if (parameters.GetValueOrDefault("g") == "meta.k8s.io" && parameters.GetValueOrDefault("v") is "v1" or "v1beta1")
            {
                var include = includeObject switch
                {
                    "None" => IncludeObject.None,
                    "Object" => IncludeObject.Object,
                    _ => IncludeObject.Metadata,
                };
                return new TableRequest(parameters["v"], include);
            }
        }

        return null;
    }
}
