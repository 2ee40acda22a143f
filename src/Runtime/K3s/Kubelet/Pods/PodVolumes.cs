using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Materialises a pod's volumes as directories of the node, under
/// <c>&lt;agent&gt;/pods/&lt;uid&gt;/volumes/&lt;kind&gt;/&lt;name&gt;</c> as the kubelet lays them out: <c>emptyDir</c> (an empty
/// directory), <c>configMap</c> and <c>secret</c> (their keys as files, read through the API as the node authorizer
/// allows for the node's pods), <c>downwardAPI</c> (fieldRef files), <c>projected</c> (secret, configMap,
/// downwardAPI and serviceAccountToken sources in one directory), <c>hostPath</c> (the node's own path,
/// created for <c>DirectoryOrCreate</c>) and <c>persistentVolumeClaim</c> (its bound volume's hostPath or local path). Other kinds, a missing object that is not <c>optional</c>, or a bad item
/// are a <see cref="VolumeException"/> with the kubelet's <c>MountVolume.SetUp failed</c> wording. One per pod: it
/// keeps the pod's projected tokens and requests one again only at 80 % of its lifetime, as the kubelet's token
/// manager does, however often the volumes are written.
/// </summary>
internal sealed class PodVolumes(ApiClient api, KubeletSettings settings, TimeProvider time)
{
    private readonly Dictionary<string, (string Token, DateTimeOffset RenewAt)> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _claimPaths = new(StringComparer.Ordinal);

    public string PodDirectory(string uid) => Path.Combine(settings.AgentDirectory, "pods", uid);

    /// <summary>Writes every volume of <paramref name="pod"/> and returns each volume's directory by name.</summary>
    public async Task<Dictionary<string, string>> PrepareAsync(JsonObject pod, string podIp, CancellationToken ct)
    {
        var uid = pod["metadata"]?["uid"]?.GetValue<string>() ?? string.Empty;
        var ns = pod["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty;
        var directories = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var volume in (pod["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = volume["name"]?.GetValue<string>() ?? string.Empty;
            try
            {
                directories[name] = await PrepareOneAsync(volume, name, uid, ns, pod, podIp, ct);
            }
            catch (Exception e) when (e is FormatException or ApiException)
            {
                throw new VolumeException($"MountVolume.SetUp failed for volume \"{name}\" : {e.Message}");
            }
        }

        return directories;
    }

    /// <summary>
    /// Writes every volume again, each on its own, as the kubelet's periodic volume sync does: one that fails (its
    /// config map deleted, the API unreachable) keeps its old files and does not hold back the others, such as a
    /// token that is due. Returns what failed, in the <c>MountVolume.SetUp failed</c> wording.
    /// </summary>
    public async Task<List<string>> RefreshAsync(JsonObject pod, string podIp, CancellationToken ct)
    {
        var uid = pod["metadata"]?["uid"]?.GetValue<string>() ?? string.Empty;
        var ns = pod["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty;
        var failures = new List<string>();
        foreach (var volume in (pod["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = volume["name"]?.GetValue<string>() ?? string.Empty;
            try
            {
                await PrepareOneAsync(volume, name, uid, ns, pod, podIp, ct);
            }
            catch (Exception e) when (e is FormatException or ApiException or HttpRequestException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"MountVolume.SetUp failed for volume \"{name}\" : {e.Message}");
            }
        }

        return failures;
    }

    /// <summary>The bind mounts of a container: each <c>volumeMounts</c> entry (with <c>subPath</c>) onto its <c>mountPath</c>.</summary>
    public static List<VolumeMount> Mounts(JsonObject container, IReadOnlyDictionary<string, string> volumes)
    {
        var mounts = new List<VolumeMount>();
        foreach (var mount in (container["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = mount["name"]?.GetValue<string>() ?? string.Empty;
            if (!volumes.TryGetValue(name, out var source))
            {
                throw new VolumeException($"volumeMount \"{name}\" names no volume of the pod");
            }

            if (mount["subPath"]?.GetValue<string>() is { Length: > 0 } subPath)
            {
                source = Path.Combine(source, subPath);
            }

            mounts.Add(new VolumeMount(source, mount["mountPath"]?.GetValue<string>() ?? string.Empty, mount["readOnly"]?.GetValue<bool>() ?? false));
        }

        return mounts;
    }

    /// <summary>A <c>hostPath</c> source's path, made for <c>DirectoryOrCreate</c> and checked for <c>Directory</c>.</summary>
    private static string HostPath(JsonObject hostPath)
    {
        var path = hostPath["path"]?.GetValue<string>() ?? string.Empty;
        var type = hostPath["type"]?.GetValue<string>() ?? string.Empty;
        if (type == "DirectoryOrCreate")
        {
            Directory.CreateDirectory(path);
        }
        else if (type == "Directory" && !Directory.Exists(path))
        {
            throw new FormatException($"hostPath type check failed: {path} is not a directory");
        }

        return path;
    }

    /// <summary>
    /// The node directory of a claim's volume: the claim and its bound PersistentVolume are read through the API
    /// (the node authorizer allows both for a pod on this node), and the volume must be a <c>hostPath</c> (as
    /// local-path makes them) or <c>local</c> volume, the two a process runtime can mount.
    /// </summary>
    private async Task<string> ClaimPathAsync(string claimName, string ns, CancellationToken ct)
    {
        // A bound claim's volume does not change under a running pod: it is read once, not at every volume refresh.
        lock (_claimPaths)
        {
            if (_claimPaths.TryGetValue(claimName, out var known))
            {
                return known;
            }
        }

        var path = await ReadClaimPathAsync(claimName, ns, ct);
        lock (_claimPaths)
        {
            _claimPaths[claimName] = path;
        }

        return path;
    }

    private async Task<string> ReadClaimPathAsync(string claimName, string ns, CancellationToken ct)
    {
        var claim = await api.GetAsync($"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/persistentvolumeclaims/{Uri.EscapeDataString(claimName)}", ct)
            ?? throw new FormatException($"error processing PVC {ns}/{claimName}: persistentvolumeclaim \"{claimName}\" not found");
        var volumeName = claim["spec"]?["volumeName"]?.GetValue<string>() ?? string.Empty;
        if (volumeName.Length == 0 || claim["status"]?["phase"]?.GetValue<string>() != "Bound")
        {
            throw new FormatException($"error processing PVC {ns}/{claimName}: PVC is not bound");
        }

        var volume = await api.GetAsync($"/api/v1/persistentvolumes/{Uri.EscapeDataString(volumeName)}", ct)
            ?? throw new FormatException($"error processing PVC {ns}/{claimName}: persistentvolume \"{volumeName}\" not found");
        if (volume["spec"]?["hostPath"] is JsonObject hostPath)
        {
            return HostPath(hostPath);
        }

        if (volume["spec"]?["local"]?["path"]?.GetValue<string>() is { } local)
        {
            return Directory.Exists(local) ? local : throw new FormatException($"path \"{local}\" does not exist");
        }

        throw new FormatException($"persistent volume {volumeName} is not a hostPath or local volume, the kinds the process runtime can mount");
    }

    /// <summary>Removes the pod's volume directories once it is gone (hostPath volumes are the node's and stay).</summary>
    public void Remove(string uid)
    {
        try
        {
            Directory.Delete(PodDirectory(uid), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // A mount still busy: leave it for the next start.
        }
    }

    private async Task<string> PrepareOneAsync(JsonObject volume, string name, string uid, string ns, JsonObject pod, string podIp, CancellationToken ct)
    {
        string Dir(string kind)
        {
            var dir = Path.Combine(PodDirectory(uid), "volumes", kind, name);
            Directory.CreateDirectory(dir);
            return dir;
        }

        if (volume["emptyDir"] is JsonObject)
        {
            return Dir("kubernetes.io~empty-dir");
        }

        if (volume["hostPath"] is JsonObject hostPath)
        {
            return HostPath(hostPath);
        }

        if (volume["persistentVolumeClaim"] is JsonObject claim)
        {
            return await ClaimPathAsync(claim["claimName"]?.GetValue<string>() ?? string.Empty, ns, ct);
        }

        if (volume["downwardAPI"] is JsonObject downward)
        {
            return AtomicVolumeWriter.Write(Dir("kubernetes.io~downward-api"), VolumeFiles.FromDownwardApi(downward, pod, podIp));
        }

        if (volume["projected"] is JsonObject projected)
        {
            return AtomicVolumeWriter.Write(Dir("kubernetes.io~projected"), await ProjectedFilesAsync(projected, ns, pod, podIp, ct));
        }

        var (source, key, kind, secret) = volume switch
        {
            _ when volume["configMap"] is JsonObject c => (c, c["name"]?.GetValue<string>(), "kubernetes.io~configmap", false),
            _ when volume["secret"] is JsonObject s => (s, s["secretName"]?.GetValue<string>(), "kubernetes.io~secret", true),
            _ => throw new FormatException($"volume kind {volume.Select(p => p.Key).FirstOrDefault(k => k != "name") ?? "?"} is not supported by the process runtime yet"),
        };
        return AtomicVolumeWriter.Write(Dir(kind), await KeyFilesAsync(source, key ?? string.Empty, secret, ns, null, ct));
    }

    /// <summary>
    /// The files of a config map or secret source (a volume's or a projection's): its keys as read through the API, or
    /// none when it is missing and <c>optional</c>; missing otherwise is the kubelet's <c>configmap "x" not found</c>.
    /// </summary>
    private async Task<List<VolumeFile>> KeyFilesAsync(JsonObject source, string name, bool secret, string ns, UnixFileMode? projectedMode, CancellationToken ct)
    {
        var stored = await api.GetAsync($"/api/v1/namespaces/{ns}/{(secret ? "secrets" : "configmaps")}/{name}", ct);
        if (stored is not null)
        {
            return VolumeFiles.FromKeys(source, stored, secret, projectedMode);
        }

        return source["optional"]?.GetValue<bool>() == true ? [] : throw new FormatException($"{(secret ? "secret" : "configmap")} \"{name}\" not found");
    }

    /// <summary>
    /// The files of a <c>projected</c> volume: each source's (<c>secret</c>, <c>configMap</c>, <c>downwardAPI</c>,
    /// <c>serviceAccountToken</c>) in one directory, with the volume's <c>defaultMode</c>. A token is asked of the
    /// API as the kubelet asks it: a TokenRequest for the pod's service account, bound to the pod, with the source's
    /// audience (none: the API server's) and lifetime (default one hour).
    /// </summary>
    private async Task<List<VolumeFile>> ProjectedFilesAsync(JsonObject projected, string ns, JsonObject pod, string podIp, CancellationToken ct)
    {
        var mode = VolumeFiles.Mode(projected["defaultMode"]) ?? VolumeFiles.DefaultMode;
        var files = new List<VolumeFile>();
        foreach (var source in (projected["sources"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (source["downwardAPI"] is JsonObject downward)
            {
                files.AddRange(VolumeFiles.FromDownwardApi(downward, pod, podIp, mode));
            }
            else if (source["serviceAccountToken"] is JsonObject token)
            {
                var path = VolumeFiles.CheckPath(token["path"]?.GetValue<string>() ?? string.Empty);
                files.Add(new VolumeFile(path, Encoding.UTF8.GetBytes(await TokenAsync(token, ns, pod, ct)), mode));
            }
            else if ((source["secret"] ?? source["configMap"]) is JsonObject keys)
            {
                files.AddRange(await KeyFilesAsync(keys, keys["name"]?.GetValue<string>() ?? string.Empty, source["secret"] is JsonObject, ns, mode, ct));
            }
            else
            {
                throw new FormatException($"projected source {source.Select(p => p.Key).FirstOrDefault() ?? "?"} is not supported by the process runtime");
            }
        }

        return files;
    }

    private async Task<string> TokenAsync(JsonObject source, string ns, JsonObject pod, CancellationToken ct)
    {
        var key = $"{source["audience"]?.GetValue<string>()}|{TokenSeconds(source)}";
        lock (_tokens)
        {
            if (_tokens.TryGetValue(key, out var kept) && time.GetUtcNow() < kept.RenewAt)
            {
                return kept.Token;
            }
        }

        var requested = time.GetUtcNow();
        var token = await RequestTokenAsync(source, ns, pod, ct);
        lock (_tokens)
        {
            _tokens[key] = (token, requested + TimeSpan.FromSeconds(TokenSeconds(source) * 0.8));
        }

        return token;
    }

    private async Task<string> RequestTokenAsync(JsonObject source, string ns, JsonObject pod, CancellationToken ct)
    {
        var account = pod["spec"]?["serviceAccountName"]?.GetValue<string>() is { Length: > 0 } named ? named : "default";
        var spec = new JsonObject
        {
            ["audiences"] = source["audience"]?.GetValue<string>() is { Length: > 0 } audience ? new JsonArray(audience) : new JsonArray(),
            ["expirationSeconds"] = TokenSeconds(source),
            ["boundObjectRef"] = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Pod",
                ["name"] = pod["metadata"]?["name"]?.GetValue<string>(),
                ["uid"] = pod["metadata"]?["uid"]?.GetValue<string>(),
            },
        };
        var request = new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenRequest", ["spec"] = spec };
        try
        {
            var issued = await api.CreateAsync($"/api/v1/namespaces/{ns}/serviceaccounts/{account}/token", request, ct);
            return issued["status"]?["token"]?.GetValue<string>() ?? throw new FormatException($"failed to fetch token: the TokenRequest for {ns}/{account} came back without one");
        }
        catch (ApiException e)
        {
            throw new FormatException($"failed to fetch token: {e.Message}");
        }
    }

    /// <summary>A token source's lifetime in seconds: <c>expirationSeconds</c>, default one hour.</summary>
    public static long TokenSeconds(JsonObject source) => source["expirationSeconds"] is JsonValue v && v.TryGetValue<long>(out var seconds) ? seconds : 3600;

    /// <summary>
    /// How often the pod's volumes are written again: every <paramref name="syncFrequency"/> when it has a config map,
    /// secret, downward API or projected volume, so edits reach the pod, and no later than 80 % of its shortest
    /// projected token's lifetime, as the kubelet's token manager renews; null when it has none of them.
    /// </summary>
    public static TimeSpan? Refresh(JsonObject pod, TimeSpan syncFrequency)
    {
        var volumes = (pod["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (!volumes.Any(v => v["configMap"] is JsonObject || v["secret"] is JsonObject || v["downwardAPI"] is JsonObject || v["projected"] is JsonObject))
        {
            return null;
        }

        var lifetimes = volumes
            .SelectMany(v => (v["projected"]?["sources"] as JsonArray ?? []).OfType<JsonObject>())
            .Select(s => s["serviceAccountToken"] as JsonObject).OfType<JsonObject>()
            .Select(TokenSeconds).ToList();
        var renewal = lifetimes.Count == 0 ? syncFrequency : TimeSpan.FromSeconds(lifetimes.Min() * 0.8);
        return renewal < syncFrequency ? renewal : syncFrequency;
    }
}

/// <summary>A volume cannot be set up; the message is what the pod's container shows while it waits.</summary>
internal sealed class VolumeException(string message) : Exception(message);
