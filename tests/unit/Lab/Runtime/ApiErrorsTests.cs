using k8s;
using k8s.Models;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>Error statuses and name validation, decoded through KubernetesClient's <c>V1Status</c>.</summary>
[Trait("Category", "Unit")]
public sealed class ApiErrorsTests
{
    [Fact]
    public void NotFound_MatchesKubeApiserverWording()
    {
        var status = Decode(ApiErrors.NotFound("apps", "deployments", "web"));

        status.Code.Should().Be(404);
        status.Reason.Should().Be("NotFound");
        status.Message.Should().Be("deployments.apps \"web\" not found");
        (status.Details.Name, status.Details.Group, status.Details.Kind).Should().Be(("web", "apps", "deployments"));
    }

    [Fact]
    public void Conflict_TellsClientToRetryOnLatest()
    {
        var status = Decode(ApiErrors.Conflict(string.Empty, "configmaps", "cfg"));

        status.Code.Should().Be(409);
        status.Reason.Should().Be("Conflict");
        status.Message.Should().Be("Operation cannot be fulfilled on configmaps \"cfg\": the object has been modified; please apply your changes to the latest version and try again");
        status.Details.Group.Should().BeNull("the core group is omitted");
    }

    [Fact]
    public void Invalid_NameWithUppercase_ListsCauseWithFieldPath()
    {
        var causes = NameValidation.Check("Bad_Name", null, NameValidation.Rule.Subdomain);

        var status = Decode(ApiErrors.Invalid(string.Empty, "ConfigMap", "Bad_Name", causes));

        status.Code.Should().Be(422);
        status.Message.Should().StartWith("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of");
        status.Details.Causes.Should().ContainSingle().Which.Field.Should().Be("metadata.name");
        status.Details.Causes[0].Reason.Should().Be("FieldValueInvalid");
    }

    [Fact]
    public void Forbidden_NamesUserVerbResourceAndScope()
    {
        var status = Decode(ApiErrors.Forbidden("system:node:agent-1", "get", string.Empty, "secrets", "db", "default"));

        status.Code.Should().Be(403);
        status.Message.Should().Be("secrets \"db\" is forbidden: User \"system:node:agent-1\" cannot get resource \"secrets\" in API group \"\" in the namespace \"default\"");
    }

    [Fact]
    public void Expired_IsGoneWithBothRevisions()
    {
        var status = Decode(ApiErrors.Expired(5, 120));

        (status.Code, status.Reason, status.Message).Should().Be((410, "Expired", "too old resource version: 5 (120)"));
    }

    [Theory]
    [InlineData("web", "Subdomain", 0)]
    [InlineData("a.b-c.d", "Subdomain", 0)]
    [InlineData("a.b", "Label", 1)]
    [InlineData("1abc", "Dns1035Label", 1)]
    [InlineData("-x", "Subdomain", 1)]
    public void Check_AppliesTheKindsRule(string name, string rule, int causes)
    {
        NameValidation.Check(name, null, Enum.Parse<NameValidation.Rule>(rule)).Should().HaveCount(causes);
    }

    [Fact]
    public void Check_TooLongAndMissing_ReportTheirOwnCauses()
    {
        NameValidation.Check(new string('a', 64), null, NameValidation.Rule.Label).Single().Message.Should().EndWith("must be no more than 63 characters");
        NameValidation.Check(null, null, NameValidation.Rule.Subdomain).Single().Message.Should().Be("Required value: name or generateName is required");
        NameValidation.Check(null, "web-", NameValidation.Rule.Subdomain).Should().BeEmpty();
    }

    private static V1Status Decode(ApiStatusException error) =>
        KubernetesJson.Deserialize<V1Status>(System.Text.Encoding.UTF8.GetString(StatusResponse.Render(error)));
}
