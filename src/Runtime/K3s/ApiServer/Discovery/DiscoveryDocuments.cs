using System.Buffers;
using System.Text.Json;

namespace K3sLab.K3s.ApiServer.Discovery;

/// <summary>
/// Renders the legacy discovery documents kubectl and the client libraries read: <c>/api</c> (APIVersions),
/// <c>/apis</c> (APIGroupList), <c>/apis/&lt;group&gt;</c> (APIGroup) and <c>/api/v1</c>, <c>/apis/&lt;group&gt;/&lt;version&gt;</c>
/// (APIResourceList). Clients that ask for aggregated discovery fall back to these when it is not offered.
/// </summary>
internal static class DiscoveryDocuments
{
    /// <summary><c>GET /api</c>.</summary>
    public static byte[] CoreVersions(string serverAddress) => Write(w =>
    {
        w.WriteString("kind", "APIVersions");
        w.WriteStartArray("versions");
        w.WriteStringValue("v1");
        w.WriteEndArray();
        w.WriteStartArray("serverAddressByClientCIDRs");
        w.WriteStartObject();
        w.WriteString("clientCIDR", "0.0.0.0/0");
        w.WriteString("serverAddress", serverAddress);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    /// <summary><c>GET /apis</c>: every named group with the versions it serves, the preferred (first listed) first.</summary>
    public static byte[] GroupList(IEnumerable<ApiResource> resources) => Write(w =>
    {
        w.WriteString("kind", "APIGroupList");
        w.WriteString("apiVersion", "v1");
        w.WriteStartArray("groups");
        foreach (var group in GroupVersions(resources))
        {
            w.WriteStartObject();
            WriteGroupBody(w, group.Key, group.Value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    /// <summary><c>GET /apis/&lt;group&gt;</c>, or null when the group is not served.</summary>
    public static byte[]? Group(IEnumerable<ApiResource> resources, string group) =>
        GroupVersions(resources).TryGetValue(group, out var versions)
            ? Write(w =>
            {
                w.WriteString("kind", "APIGroup");
                w.WriteString("apiVersion", "v1");
                WriteGroupBody(w, group, versions);
            })
            : null;

    /// <summary><c>GET /api/v1</c> or <c>/apis/&lt;group&gt;/&lt;version&gt;</c>, or null when that version is not served.</summary>
    public static byte[]? ResourceList(IEnumerable<ApiResource> resources, string group, string version)
    {
        var served = resources.Where(r => r.Group == group && r.Version == version).ToList();
        if (served.Count == 0)
        {
            return null;
        }

        return Write(w =>
        {
            w.WriteString("kind", "APIResourceList");
            w.WriteString("apiVersion", "v1");
            w.WriteString("groupVersion", served[0].GroupVersion);
            w.WriteStartArray("resources");
            foreach (var resource in served)
            {
                WriteResource(w, resource);
                foreach (var sub in resource.Subresources)
                {
                    WriteSubresource(w, resource, sub);
                }
            }

            w.WriteEndArray();
        });
    }

    private static SortedDictionary<string, List<string>> GroupVersions(IEnumerable<ApiResource> resources)
    {
        var groups = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var resource in resources.Where(r => r.Group.Length > 0))
        {
            if (!groups.TryGetValue(resource.Group, out var versions))
            {
                groups[resource.Group] = versions = [];
            }

            if (!versions.Contains(resource.Version))
            {
                versions.Add(resource.Version);
            }
        }

        return groups;
    }

    private static void WriteGroupBody(Utf8JsonWriter w, string group, List<string> versions)
    {
        w.WriteString("name", group);
        w.WriteStartArray("versions");
        foreach (var version in versions)
        {
            WriteGroupVersion(w, group, version);
        }

        w.WriteEndArray();
        w.WritePropertyName("preferredVersion");
        WriteGroupVersion(w, group, versions[0]);
    }

    private static void WriteGroupVersion(Utf8JsonWriter w, string group, string version)
    {
        w.WriteStartObject();
        w.WriteString("groupVersion", $"{group}/{version}");
        w.WriteString("version", version);
        w.WriteEndObject();
    }

    private static void WriteResource(Utf8JsonWriter w, ApiResource resource)
    {
        w.WriteStartObject();
        w.WriteString("name", resource.Name);
        w.WriteString("singularName", resource.SingularName);
        w.WriteBoolean("namespaced", resource.Namespaced);
        w.WriteString("kind", resource.Kind);
        WriteStrings(w, "verbs", resource.Verbs);
        if (resource.ShortNames.Count > 0)
        {
            WriteStrings(w, "shortNames", resource.ShortNames);
        }

        if (resource.Categories.Count > 0)
        {
            WriteStrings(w, "categories", resource.Categories);
        }

        w.WriteEndObject();
    }

    private static void WriteSubresource(Utf8JsonWriter w, ApiResource parent, ApiSubresource sub)
    {
        w.WriteStartObject();
        w.WriteString("name", $"{parent.Name}/{sub.Name}");
        w.WriteString("singularName", string.Empty);
        w.WriteBoolean("namespaced", parent.Namespaced);
        if (sub.Group is not null)
        {
            w.WriteString("group", sub.Group);
            w.WriteString("version", sub.Version);
        }

        w.WriteString("kind", sub.Kind ?? parent.Kind);
        WriteStrings(w, "verbs", sub.Verbs);
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
