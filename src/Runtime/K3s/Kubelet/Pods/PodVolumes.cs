using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Materialises a pod's volumes as directories of the node, under
/// <c>&lt;agent&gt;/pods/&lt;uid&gt;/volumes/&lt;kind&gt;/&lt;name&gt;</c> as the kubelet lays them out: <c>emptyDir</c> (an empty
/// directory), <c>configMap</c> and <c>secret</c> (their keys as files, read through the API as the node authorizer
/// allows for the node's pods), <c>downwardAPI</c> (fieldRef files) and <c>hostPath</c> (the node's own path,
/// created for <c>DirectoryOrCreate</c>). Other kinds, a missing object that is not <c>optional</c>, or a bad item
/// are a <see cref="VolumeException"/> with the kubelet's <c>MountVolume.SetUp failed</c> wording.
/// </summary>
internal sealed class PodVolumes(ApiClient api, KubeletSettings settings)
{
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

        if (volume["downwardAPI"] is JsonObject downward)
        {
            return Write(Dir("kubernetes.io~downward-api"), VolumeFiles.FromDownwardApi(downward, pod, podIp));
        }

        var (source, resource, key, kind, secret) = volume switch
        {
            _ when volume["configMap"] is JsonObject c => (c, "configmaps", c["name"]?.GetValue<string>(), "kubernetes.io~configmap", false),
            _ when volume["secret"] is JsonObject s => (s, "secrets", s["secretName"]?.GetValue<string>(), "kubernetes.io~secret", true),
            _ => throw new FormatException($"volume kind {volume.Select(p => p.Key).FirstOrDefault(k => k != "name") ?? "?"} is not supported by the process runtime yet"),
        };
        var stored = await api.GetAsync($"/api/v1/namespaces/{ns}/{resource}/{key}", ct);
        if (stored is null)
        {
            return source["optional"]?.GetValue<bool>() == true
                ? Write(Dir(kind), [])
                : throw new FormatException($"{(secret ? "secret" : "configmap")} \"{key}\" not found");
        }

        return Write(Dir(kind), VolumeFiles.FromKeys(source, stored, secret));
    }

    private static string Write(string directory, IEnumerable<VolumeFile> files)
    {
        foreach (var file in files)
        {
            var path = Path.Combine(directory, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, file.Content);
            File.SetUnixFileMode(path, file.Mode);
        }

        return directory;
    }
}

/// <summary>A volume cannot be set up; the message is what the pod's container shows while it waits.</summary>
internal sealed class VolumeException(string message) : Exception(message);
