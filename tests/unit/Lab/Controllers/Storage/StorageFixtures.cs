using System.Text.Json.Nodes;

namespace K3sLab.Lab.Tests.Controllers.Storage;

/// <summary>Claims, volumes and classes as the API server stores them, for the storage controllers' pure parts.</summary>
internal static class StorageFixtures
{
    public static JsonObject Claim(string name, string size = "1Gi", string? className = "local-path", string ns = "default", string[]? modes = null, string volumeName = "", JsonObject? selector = null)
    {
        var spec = new JsonObject
        {
            ["accessModes"] = new JsonArray([.. (modes ?? ["ReadWriteOnce"]).Select(m => (JsonNode)m)]),
            ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = size } },
            ["volumeMode"] = "Filesystem",
        };
        if (className is not null)
        {
            spec["storageClassName"] = className;
        }

        if (volumeName.Length > 0)
        {
            spec["volumeName"] = volumeName;
        }

        if (selector is not null)
        {
            spec["selector"] = selector;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolumeClaim",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = "uid-" + name, ["resourceVersion"] = "7" },
            ["spec"] = spec,
            ["status"] = new JsonObject { ["phase"] = "Pending" },
        };
    }

    public static JsonObject Volume(string name, string size = "1Gi", string className = "local-path", string[]? modes = null, string? node = null, JsonObject? claimRef = null, string phase = "Available", JsonObject? labels = null)
    {
        var spec = new JsonObject
        {
            ["capacity"] = new JsonObject { ["storage"] = size },
            ["accessModes"] = new JsonArray([.. (modes ?? ["ReadWriteOnce"]).Select(m => (JsonNode)m)]),
            ["storageClassName"] = className,
            ["volumeMode"] = "Filesystem",
            ["hostPath"] = new JsonObject { ["path"] = "/data/" + name },
        };
        if (node is not null)
        {
            spec["nodeAffinity"] = new JsonObject
            {
                ["required"] = new JsonObject
                {
                    ["nodeSelectorTerms"] = new JsonArray(new JsonObject
                    {
                        ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = "kubernetes.io/hostname", ["operator"] = "In", ["values"] = new JsonArray(node) }),
                    }),
                },
            };
        }

        if (claimRef is not null)
        {
            spec["claimRef"] = claimRef;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolume",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels ?? [] },
            ["spec"] = spec,
            ["status"] = new JsonObject { ["phase"] = phase },
        };
    }

    public static JsonObject Class(string name = "local-path", string provisioner = "rancher.io/local-path", string binding = "WaitForFirstConsumer", string reclaim = "Delete") => new()
    {
        ["apiVersion"] = "storage.k8s.io/v1",
        ["kind"] = "StorageClass",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["provisioner"] = provisioner,
        ["reclaimPolicy"] = reclaim,
        ["volumeBindingMode"] = binding,
    };
}
