using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Admission;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class ServiceAccountAdmissionTests
{
    private static readonly JsonObject Account = new() { ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = "shop" } };

    private static JsonObject Pod(string spec) => (JsonObject)JsonNode.Parse($$"""{"metadata":{"name":"web","namespace":"shop"},"spec":{{spec}}}""")!;

    [Fact]
    public void AccountName_DefaultsToDefault_AndKeepsTheDeprecatedAliasEqual()
    {
        var pod = Pod("""{"containers":[{"name":"app"}]}""");
        ServiceAccountAdmission.AccountName(pod).Should().Be("default");
        pod["spec"]!["serviceAccountName"]!.GetValue<string>().Should().Be("default");
        pod["spec"]!["serviceAccount"]!.GetValue<string>().Should().Be("default");
        ServiceAccountAdmission.AccountName(Pod("""{"serviceAccountName":"builder","containers":[]}""")).Should().Be("builder");
    }

    [Fact]
    public void Admit_MountsTheProjectedApiAccessVolume_InEveryInitContainerAndContainer()
    {
        var pod = Pod("""{"initContainers":[{"name":"setup"}],"containers":[{"name":"app","volumeMounts":[{"name":"data","mountPath":"/data"}]}],"volumes":[{"name":"data","emptyDir":{}}]}""");
        ServiceAccountAdmission.AccountName(pod);
        ServiceAccountAdmission.Admit(pod, Account, () => "x2b4c");

        var volumes = (JsonArray)pod["spec"]!["volumes"]!;
        volumes.Should().HaveCount(2);
        volumes[1]!.ToJsonString().Should().Be(
            """{"name":"kube-api-access-x2b4c","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"},"path":"namespace"}]}}]}}""");
        foreach (var list in new[] { "initContainers", "containers" })
        {
            var mounts = (JsonArray)pod["spec"]![list]![0]!["volumeMounts"]!;
            mounts[^1]!.ToJsonString().Should().Be("""{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"kube-api-access-x2b4c","readOnly":true}""");
        }

        pod["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray().Should().HaveCount(2, "the container's own mount stays first");
    }

    [Theory]
    [InlineData("""{"automountServiceAccountToken":false,"containers":[{"name":"app"}]}""", true, false)]
    [InlineData("""{"containers":[{"name":"app"}]}""", false, false)]
    [InlineData("""{"automountServiceAccountToken":true,"containers":[{"name":"app"}]}""", false, true)]
    public void Admit_AutomountFalse_OnThePodOrItsAccount_MountsNothing_ThePodsWordWins(string spec, bool accountAutomounts, bool mounted)
    {
        var pod = Pod(spec);
        var account = (JsonObject)Account.DeepClone();
        account["automountServiceAccountToken"] = accountAutomounts;
        ServiceAccountAdmission.AccountName(pod);
        ServiceAccountAdmission.Admit(pod, account, () => "abcde");
        (pod["spec"]!["volumes"] is JsonArray { Count: > 0 }).Should().Be(mounted);
    }

    [Fact]
    public void Admit_LeavesAContainerThatMountsThePathItself_AndReusesAnExistingApiAccessVolume()
    {
        var pod = Pod("""
            {"containers":[{"name":"own","volumeMounts":[{"name":"mine","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]},{"name":"app"}],
             "volumes":[{"name":"mine","emptyDir":{}},{"name":"kube-api-access-old12","projected":{"sources":[]}}]}
            """);
        ServiceAccountAdmission.AccountName(pod);
        ServiceAccountAdmission.Admit(pod, Account, () => "new34");
        pod["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray().Should().HaveCount(1);
        pod["spec"]!["containers"]![1]!["volumeMounts"]![0]!["name"]!.GetValue<string>().Should().Be("kube-api-access-old12");
        pod["spec"]!["volumes"]!.AsArray().Should().HaveCount(2, "no second volume is added");
    }

    [Fact]
    public void Admit_CopiesTheAccountsImagePullSecrets_OnlyWhenThePodHasNone()
    {
        var account = (JsonObject)Account.DeepClone();
        account["imagePullSecrets"] = new JsonArray(new JsonObject { ["name"] = "registry" });
        var bare = Pod("""{"containers":[{"name":"app"}]}""");
        ServiceAccountAdmission.AccountName(bare);
        ServiceAccountAdmission.Admit(bare, account, () => "abcde");
        bare["spec"]!["imagePullSecrets"]!.ToJsonString().Should().Be("""[{"name":"registry"}]""");

        var own = Pod("""{"imagePullSecrets":[{"name":"mine"}],"containers":[{"name":"app"}]}""");
        ServiceAccountAdmission.AccountName(own);
        ServiceAccountAdmission.Admit(own, account, () => "abcde");
        own["spec"]!["imagePullSecrets"]!.ToJsonString().Should().Be("""[{"name":"mine"}]""");
    }

    [Fact]
    public void MirrorPods_AreNotChanged_AndMayNotNameAnAccount()
    {
        var mirror = (JsonObject)JsonNode.Parse("""{"metadata":{"name":"static-web","annotations":{"kubernetes.io/config.mirror":"abc"}},"spec":{"containers":[{"name":"app"}]}}""")!;
        ServiceAccountAdmission.AccountName(mirror).Should().BeNull();
        mirror["spec"]!["serviceAccountName"].Should().BeNull();

        mirror["spec"]!["serviceAccountName"] = "default";
        var refused = () => ServiceAccountAdmission.AccountName(mirror);
        refused.Should().Throw<ApiStatusException>().Where(e => e.Code == 403).WithMessage("pods \"static-web\" is forbidden: a mirror pod may not reference service accounts");
    }

    [Fact]
    public void MissingAccount_IsKubesForbiddenMessage_NamingTheGenerateNameWhenThereIsNoName()
    {
        var error = ServiceAccountAdmission.MissingAccount(Pod("""{"containers":[]}"""), "shop", "builder");
        error.Code.Should().Be(403);
        error.Message.Should().Be("pods \"web\" is forbidden: error looking up service account shop/builder: serviceaccount \"builder\" not found");
        var generated = (JsonObject)JsonNode.Parse("""{"metadata":{"generateName":"web-"},"spec":{}}""")!;
        ServiceAccountAdmission.MissingAccount(generated, "shop", "default").Message.Should().StartWith("pods \"web-\" is forbidden");
    }
}
