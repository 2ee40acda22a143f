using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// A pod spec's volumes (<c>ValidateVolumes</c>): each has a unique RFC 1123 label name and exactly one source, and
/// the common sources name what they mount (secret, config map, claim, host path). Only the volumes without errors
/// can be mounted, so a mount of a broken volume is also "not found", as in kube-apiserver.
/// </summary>
internal static class VolumeRules
{
    /// <summary>The sources in kube-apiserver's order, with the path its "more than 1 volume type" error names (sic).</summary>
    private static readonly (string Json, string ForbiddenPath)[] Sources =
    [
        ("emptyDir", "emptyDir"), ("hostPath", "hostPath"), ("gitRepo", "gitRepo"), ("gcePersistentDisk", "gcePersistentDisk"),
        ("awsElasticBlockStore", "awsElasticBlockStore"), ("secret", "secret"), ("nfs", "nfs"), ("iscsi", "iscsi"),
        ("glusterfs", "glusterfs"), ("flocker", "flocker"), ("persistentVolumeClaim", "persistentVolumeClaim"), ("rbd", "rbd"),
        ("cinder", "cinder"), ("cephfs", "cephFS"), ("quobyte", "quobyte"), ("downwardAPI", "downwarAPI"), ("fc", "fc"),
        ("flexVolume", "flexVolume"), ("configMap", "configMap"), ("azureFile", "azureFile"), ("vsphereVolume", "vsphereVolume"),
        ("photonPersistentDisk", "photonPersistentDisk"), ("portworxVolume", "portworxVolume"), ("azureDisk", "azureDisk"),
        ("storageos", "storageos"), ("projected", "projected"), ("scaleIO", "scaleIO"), ("csi", "csi"), ("ephemeral", "ephemeral"),
        ("image", "image"),
    ];

    private static readonly string[] HostPathTypes = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"];

    /// <summary>Validates the volumes and returns the names of those without errors.</summary>
    public static IReadOnlySet<string> Volumes(JsonArray? volumes, string path, FieldErrorList errors)
    {
        var valid = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, volume) in volumes.Items())
        {
            var at = $"{path}[{i}]";
            var own = new FieldErrorList();
            Source(volume, at, own);
            var name = volume.Str("name") ?? string.Empty;
            if (name.Length == 0)
            {
                own.Required($"{at}.name");
            }
            else
            {
                own.InvalidEach($"{at}.name", name, Formats.Dns1123Label(name));
            }

            if (valid.Contains(name))
            {
                own.Duplicate($"{at}.name", name);
            }

            if (own.Count == 0)
            {
                valid.Add(name);
            }

            errors.AddRange(own);
        }

        return valid;
    }

    private static void Source(JsonNode? volume, string path, FieldErrorList errors)
    {
        var count = 0;
        foreach (var (json, forbiddenPath) in Sources)
        {
            if (volume.Obj(json) is not { } source)
            {
                continue;
            }

            if (count > 0)
            {
                errors.Forbidden($"{path}.{forbiddenPath}", "may not specify more than 1 volume type");
                continue;
            }

            count++;
            var at = $"{path}.{json}";
            switch (json)
            {
                case "hostPath":
                    HostPath(source, at, errors);
                    break;
                case "secret":
                    Required(source, "secretName", at, errors);
                    Mode(source, at, errors);
                    break;
                case "configMap":
                    Required(source, "name", at, errors);
                    Mode(source, at, errors);
                    break;
                case "persistentVolumeClaim":
                    Required(source, "claimName", at, errors);
                    break;
            }
        }

        if (count == 0)
        {
            errors.Required(path, "must specify a volume type");
        }
    }

    private static void HostPath(JsonObject source, string path, FieldErrorList errors)
    {
        var hostPath = source.Str("path") ?? string.Empty;
        if (hostPath.Length == 0)
        {
            errors.Required($"{path}.path");
            return;
        }

        if (hostPath.Split('/').Contains(".."))
        {
            errors.Invalid($"{path}.path", hostPath, "must not contain '..'");
        }

        if (source.Str("type") is { } type && !HostPathTypes.Contains(type))
        {
            errors.NotSupported($"{path}.type", type, HostPathTypes);
        }
    }

    private static void Required(JsonObject source, string field, string path, FieldErrorList errors)
    {
        if (string.IsNullOrEmpty(source.Str(field)))
        {
            errors.Required($"{path}.{field}");
        }
    }

    private static void Mode(JsonObject source, string path, FieldErrorList errors)
    {
        if (source.Long("defaultMode") is { } mode and (> 511 or < 0))
        {
            errors.Invalid($"{path}.defaultMode", mode, "must be a number between 0 and 0777 (octal), both inclusive");
        }
    }
}
