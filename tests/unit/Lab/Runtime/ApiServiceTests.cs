using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Aggregation;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Extensions;
using K3sLab.K3s.ApiServer.Resources.Tables;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>The local APIServices kube-apiserver registers, their availability, validation and table.</summary>
[Trait("Category", "Unit")]
public sealed class ApiServiceTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-08T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Desired_OnePerServedGroupVersion_WithKubesPriorities_AndNoneForTheAggregatorsOwnGroup()
    {
        var desired = LocalApiServices.Desired([.. ApiResourceCatalog.BuiltIn, Widget("v1"), Widget("v1beta1")]);

        desired.Keys.Should().Contain(["v1.", "v1.apps", "v2.autoscaling", "v1.autoscaling", "v1.certificates.k8s.io", "v1.example.com", "v1beta1.example.com"]);
        desired.Keys.Should().NotContain(k => k.EndsWith(".apiregistration.k8s.io", StringComparison.Ordinal));
        desired["v1."]["spec"]!.ToJsonString().Should().Be("""{"group":"","version":"v1","groupPriorityMinimum":18000,"versionPriority":1}""");
        desired["v2.autoscaling"]["spec"]!["versionPriority"]!.GetValue<int>().Should().Be(30);
        desired["v1.apps"]["metadata"]!["labels"]![LocalApiServices.AutomanagedLabel]!.GetValue<string>().Should().Be("onstart");
        desired["v1beta1.example.com"]["metadata"]!["labels"]![LocalApiServices.AutomanagedLabel]!.GetValue<string>().Should().Be("true");
        desired["v1beta1.example.com"]["spec"]!.ToJsonString().Should().Be("""{"group":"example.com","version":"v1beta1","groupPriorityMinimum":1000,"versionPriority":100}""");
    }

    [Fact]
    public void Status_LocalIsAvailable_ServiceBackedIsNot_AndTheTransitionTimeHoldsWhileUnchanged()
    {
        var local = Parse("""{"spec":{"group":"apps","version":"v1"}}""");
        var condition = ApiServiceAvailability.Status(local, serviceExists: false, Now)["conditions"]![0]!;
        condition.ToJsonString().Should().Be("""{"type":"Available","status":"True","lastTransitionTime":"2026-12-08T00:00:00Z","reason":"Local","message":"Local APIServices are always available"}""");

        var remote = Parse("""{"spec":{"group":"custom.metrics.k8s.io","version":"v1beta1","service":{"namespace":"monitoring","name":"adapter"}}}""");
        var missing = ApiServiceAvailability.Status(remote, serviceExists: false, Now);
        missing["conditions"]![0]!["reason"]!.GetValue<string>().Should().Be("ServiceNotFound");
        missing["conditions"]![0]!["message"]!.GetValue<string>().Should().Be("service/adapter in \"monitoring\" is not present");

        remote["status"] = missing;
        ApiServiceAvailability.Status(remote, serviceExists: false, Now.AddMinutes(5))["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>().Should().Be("2026-12-08T00:00:00Z");
        var present = ApiServiceAvailability.Status(remote, serviceExists: true, Now.AddMinutes(5))["conditions"]![0]!;
        present["status"]!.GetValue<string>().Should().Be("False");
        present["reason"]!.GetValue<string>().Should().Be("FailedDiscoveryCheck");
        present["message"]!.GetValue<string>().Should().Contain("requests for custom.metrics.k8s.io/v1beta1 are not forwarded to service monitoring/adapter");
        present["lastTransitionTime"]!.GetValue<string>().Should().Be("2026-12-08T00:05:00Z");
    }

    [Fact]
    public void Validate_NameMustBeVersionDotGroup_PrioritiesInRange_LocalTakesNoTlsSettings()
    {
        var errors = ObjectValidation.Check("apiregistration.k8s.io", "APIService", "apiservices",
            Parse("""{"metadata":{"name":"v1.wrong.io"},"spec":{"group":"custom.io","version":"v1","groupPriorityMinimum":0,"versionPriority":1001,"insecureSkipTLSVerify":true,"caBundle":"AAEC"}}"""), old: null);

        errors.Select(e => $"{e.Field}: {e.Message}").Should().Equal(
            "metadata.name: Invalid value: \"v1.wrong.io\": must be `spec.version+\".\"+spec.group`: \"v1.custom.io\"",
            "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000",
            "spec.versionPriority: Invalid value: 1001: must be positive and less than 1000",
            "spec.caBundle: Invalid value: \"3 bytes\": local APIServices may not have a caBundle",
            "spec.insecureSkipTLSVerify: Invalid value: true: local APIServices may not have insecureSkipTLSVerify");
    }

    [Fact]
    public void Validate_CoreGroupAndServiceBacked_AreAccepted_UntilTheServiceLacksAName()
    {
        ObjectValidation.Check("apiregistration.k8s.io", "APIService", "apiservices",
            Parse("""{"metadata":{"name":"v1."},"spec":{"group":"","version":"v1","groupPriorityMinimum":18000,"versionPriority":1}}"""), old: null).Should().BeEmpty();
        var errors = ObjectValidation.Check("apiregistration.k8s.io", "APIService", "apiservices",
            Parse("""{"metadata":{"name":"v1beta1.x.io"},"spec":{"group":"x.io","version":"v1beta1","groupPriorityMinimum":100,"versionPriority":100,"service":{"namespace":"ns"}}}"""), old: null);
        errors.Select(e => $"{e.Field}: {e.Message}").Should().Equal("spec.service.name: Required value");
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"v1.apps","creationTimestamp":"2026-12-07T23:00:00Z"},"spec":{"group":"apps","version":"v1"},"status":{"conditions":[{"type":"Available","status":"True","reason":"Local"}]}}""", "Local", "True")]
    [InlineData("""{"metadata":{"name":"v1beta1.x.io","creationTimestamp":"2026-12-07T23:00:00Z"},"spec":{"service":{"namespace":"ns","name":"svc"}},"status":{"conditions":[{"type":"Available","status":"False","reason":"ServiceNotFound"}]}}""", "ns/svc", "False (ServiceNotFound)")]
    [InlineData("""{"metadata":{"name":"v1beta1.x.io","creationTimestamp":"2026-12-07T23:00:00Z"},"spec":{"service":{"namespace":"ns","name":"svc"}}}""", "ns/svc", "Unknown")]
    public void Table_ShowsServiceAndAvailability_AsKubeAggregatorPrintsThem(string apiService, string service, string available)
    {
        var table = TableConverter.Convert(new TableRequest("v1", IncludeObject.None), TableColumns.For("apiservices"), [Parse(apiService)], null, Now);

        table["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).Should().Equal("Name", "Service", "Available", "Age");
        var cells = table["rows"]![0]!["cells"]!.AsArray().Select(c => c!.ToString()).ToList();
        cells.Should().Equal(Parse(apiService)["metadata"]!["name"]!.GetValue<string>(), service, available, "60m");
    }

    private static ApiResource Widget(string version) =>
        new("example.com", version, "widgets", "widget", "Widget", true, ["get", "list"], [], [], []) { Custom = new CustomResource("widgets.example.com", "v1", null, [], false) };

    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;
}
