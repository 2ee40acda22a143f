using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Admission;
using K3sLab.K3s.ApiServer.Resources.Tables;

namespace K3sLab.Lab.Tests.Runtime.Validation;

[Trait("Category", "Unit")]
public sealed class StorageValidationTests
{
    private const string LocalPath = """{"kind":"StorageClass","metadata":{"name":"lp"},"provisioner":"rancher.io/local-path","volumeBindingMode":"WaitForFirstConsumer"}""";

    [Fact]
    public void StorageClass_DefaultsReclaimDeleteAndBindingImmediate()
    {
        Validated.Causes("""{"kind":"StorageClass","metadata":{"name":"x"},"provisioner":"p"}""").Should().BeEmpty();
        var obj = JsonNode.Parse("""{"kind":"StorageClass","metadata":{"name":"x"},"provisioner":"p"}""")!.AsObject();
        K3sLab.K3s.ApiServer.Resources.Defaults.BuiltinDefaults.Apply("storage.k8s.io", "StorageClass", obj, creating: true);
        obj["reclaimPolicy"]!.GetValue<string>().Should().Be("Delete");
        obj["volumeBindingMode"]!.GetValue<string>().Should().Be("Immediate");
    }

    [Fact]
    public void StorageClass_WithoutProvisionerOrWithUnknownModes_IsRefusedInKubesWords()
    {
        Validated.Single("""{"kind":"StorageClass","metadata":{"name":"x"}}""").Should().Be(("provisioner", "Required value"));
        Validated.Message("""{"kind":"StorageClass","metadata":{"name":"x"},"provisioner":"p","reclaimPolicy":"Recycle","volumeBindingMode":"Later"}""")
            .Should().Be("StorageClass.storage.k8s.io \"x\" is invalid: [reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\", volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\"]");
    }

    [Fact]
    public void StorageClass_UpdatesToProvisionerParametersOrModes_AreForbidden()
    {
        Validated.Causes(LocalPath.Replace("\"name\":\"lp\"}", "\"name\":\"lp\",\"labels\":{\"a\":\"b\"}}", StringComparison.Ordinal), LocalPath).Should().BeEmpty();
        Validated.Single(LocalPath.Replace("rancher.io/local-path", "other", StringComparison.Ordinal), LocalPath)
            .Should().Be(("provisioner", "Forbidden: updates to provisioner are forbidden."));
        Validated.Single(LocalPath.Replace("WaitForFirstConsumer", "Immediate", StringComparison.Ordinal), LocalPath)
            .Should().Be(("volumeBindingMode", "Forbidden: field is immutable"));
        Validated.Single(LocalPath.Replace("\"provisioner\"", "\"parameters\":{\"k\":\"v\"},\"provisioner\"", StringComparison.Ordinal), LocalPath)
            .Should().Be(("parameters", "Forbidden: updates to parameters are forbidden."));
    }

    [Fact]
    public void DefaultStorageClass_FillsOnlyAnAbsentClass_WithTheNewestDefault()
    {
        var older = Class("older", "2026-01-01T00:00:00Z", isDefault: true);
        var newer = Class("newer", "2026-06-01T00:00:00Z", isDefault: true);
        var plain = Class("plain", "2026-12-01T00:00:00Z", isDefault: false);
        var beta = Class("beta", "2026-03-01T00:00:00Z", isDefault: false);
        beta["metadata"]!["annotations"] = new JsonObject { [DefaultStorageClass.BetaAnnotation] = "true" };

        DefaultStorageClass.Choose([older, newer, plain]).Should().Be("newer");
        DefaultStorageClass.Choose([older, beta]).Should().Be("beta");
        DefaultStorageClass.Choose([plain]).Should().BeNull();

        var absent = JsonNode.Parse("""{"spec":{"accessModes":["ReadWriteOnce"]}}""")!.AsObject();
        var empty = JsonNode.Parse("""{"spec":{"storageClassName":""}}""")!.AsObject();
        var named = JsonNode.Parse("""{"spec":{"storageClassName":"fast"}}""")!.AsObject();
        var nulled = JsonNode.Parse("""{"spec":{"storageClassName":null}}""")!.AsObject();
        foreach (var claim in new[] { absent, empty, named, nulled })
        {
            DefaultStorageClass.Admit(claim, "newer");
        }

        absent["spec"]!["storageClassName"]!.GetValue<string>().Should().Be("newer");
        nulled["spec"]!["storageClassName"]!.GetValue<string>().Should().Be("newer");
        empty["spec"]!["storageClassName"]!.GetValue<string>().Should().BeEmpty();
        named["spec"]!["storageClassName"]!.GetValue<string>().Should().Be("fast");
    }

    [Fact]
    public void Tables_StorageClassPvAndPvc_ReadAsKubectlPrintsThem()
    {
        var now = DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var storageClass = Class("local-path", "2026-12-07T11:59:00Z", isDefault: true);
        storageClass["provisioner"] = "rancher.io/local-path";
        storageClass["volumeBindingMode"] = "WaitForFirstConsumer";
        Cells("storageclasses", storageClass, now).Should().Equal("local-path (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", "false", "60s");

        var volume = JsonNode.Parse("""
            {"metadata":{"name":"pvc-1","creationTimestamp":"2026-12-07T11:58:00Z"},
             "spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteMany","ReadWriteOnce"],"persistentVolumeReclaimPolicy":"Delete",
                     "claimRef":{"namespace":"shop","name":"data"},"storageClassName":"local-path"},
             "status":{"phase":"Bound"}}
            """)!.AsObject();
        Cells("persistentvolumes", volume, now).Should().Equal("pvc-1", "1Gi", "RWO,RWX", "Delete", "Bound", "shop/data", "local-path", "<unset>", string.Empty, "2m", "Filesystem");

        var claim = JsonNode.Parse("""
            {"metadata":{"name":"data","creationTimestamp":"2026-12-07T11:58:00Z"},
             "spec":{"volumeName":"pvc-1","storageClassName":"local-path"},
             "status":{"phase":"Bound","capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"]}}
            """)!.AsObject();
        Cells("persistentvolumeclaims", claim, now).Should().Equal("data", "Bound", "pvc-1", "1Gi", "RWO", "local-path", "<unset>", "2m", "Filesystem");
        claim["spec"]!["volumeName"] = null;
        claim["status"]!["phase"] = "Pending";
        Cells("persistentvolumeclaims", claim, now).Should().Equal("data", "Pending", string.Empty, string.Empty, string.Empty, "local-path", "<unset>", "2m", "Filesystem");
    }

    private static JsonObject Class(string name, string created, bool isDefault) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["creationTimestamp"] = created,
            ["annotations"] = isDefault ? new JsonObject { [DefaultStorageClass.Annotation] = "true" } : new JsonObject(),
        },
    };

    private static List<string> Cells(string resource, JsonObject obj, DateTimeOffset now) =>
        [.. TableColumns.For(resource).Select(c => c.Cell(obj, now)?.ToString() ?? string.Empty)];
}
