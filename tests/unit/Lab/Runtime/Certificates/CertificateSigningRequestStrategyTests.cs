using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Resources.Certificates;

namespace K3sLab.Lab.Tests.Runtime.Certificates;

[Trait("Category", "Unit")]
public sealed class CertificateSigningRequestStrategyTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-03-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly string Request = Csrs.Ecdsa();

    private static JsonObject Stored(string status) =>
        Csrs.Object(Request, spec: "\"username\":\"alice\"", status: status) is var csr && csr["metadata"] is JsonObject meta
            ? Tap(csr, () => { meta["uid"] = "u-1"; meta["creationTimestamp"] = "2026-03-01T09:00:00Z"; meta["resourceVersion"] = "7"; })
            : throw new InvalidOperationException();

    private static JsonObject Tap(JsonObject obj, Action change)
    {
        change();
        return obj;
    }

    [Fact]
    public void PrepareCreate_RecordsTheRequester_AndEmptiesStatus()
    {
        var csr = Csrs.Object(Request, spec: "\"username\":\"mallory\",\"groups\":[\"system:masters\"]", status: """{"conditions":[{"type":"Approved","status":"True"}]}""");
        var user = new UserInfo("system:serviceaccount:dev:bot", ["system:serviceaccounts", "system:authenticated"])
        {
            Uid = "sa-1",
            Extra = new Dictionary<string, IReadOnlyList<string>> { ["authentication.kubernetes.io/pod-name"] = ["bot-0"] },
        };

        CertificateSigningRequestStrategy.PrepareCreate(csr, user);

        csr["spec"]!["username"]!.GetValue<string>().Should().Be("system:serviceaccount:dev:bot");
        csr["spec"]!["uid"]!.GetValue<string>().Should().Be("sa-1");
        csr["spec"]!["groups"]!.ToJsonString().Should().Be("""["system:serviceaccounts","system:authenticated"]""");
        csr["spec"]!["extra"]!.ToJsonString().Should().Be("""{"authentication.kubernetes.io/pod-name":["bot-0"]}""");
        csr["status"]!.ToJsonString().Should().Be("{}");
    }

    [Fact]
    public void PrepareCreate_UserWithoutUidOrGroups_LeavesThemOut()
    {
        var csr = Csrs.Object(Request, spec: "\"uid\":\"forged\",\"extra\":{\"a\":[\"b\"]}");
        CertificateSigningRequestStrategy.PrepareCreate(csr, new UserInfo("alice", []));

        csr["spec"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo("request", "signerName", "usages", "username");
    }

    [Fact]
    public void MainUpdate_ChangesMetadataOnly()
    {
        var current = Stored("""{"conditions":[{"type":"Approved","status":"True"}]}""");
        var updated = Csrs.Object(Csrs.Rsa(), usages: "[\"server auth\"]", status: "{}");
        updated["metadata"]!["labels"] = new JsonObject { ["team"] = "a" };

        var stored = CertificateSigningRequestStrategy.PrepareUpdate("", current, updated, Now);

        stored["spec"]!.ToJsonString().Should().Be(current["spec"]!.ToJsonString());
        stored["status"]!.ToJsonString().Should().Be(current["status"]!.ToJsonString());
        stored["metadata"]!["labels"]!["team"]!.GetValue<string>().Should().Be("a");
        stored["metadata"]!["uid"]!.GetValue<string>().Should().Be("u-1");
        stored["metadata"]!["creationTimestamp"]!.GetValue<string>().Should().Be("2026-03-01T09:00:00Z");
        stored["metadata"]!.AsObject().ContainsKey("generation").Should().BeFalse();
    }

    [Fact]
    public void StatusUpdate_TakesCertificateAndFailed_ButKeepsApprovalAsStored()
    {
        var current = Stored("""{"conditions":[{"type":"Approved","status":"True","reason":"ok","lastUpdateTime":"2026-03-01T09:30:00Z","lastTransitionTime":"2026-03-01T09:30:00Z"}]}""");
        var certificate = Csrs.Certificate();
        var updated = Csrs.Object(Csrs.Rsa(), status: $$"""{"conditions":[{"type":"Approved","status":"True","reason":"changed"},{"type":"Failed","status":"True"}],"certificate":"{{certificate}}"}""");
        updated["metadata"]!["annotations"] = new JsonObject { ["note"] = "issued" };

        var stored = CertificateSigningRequestStrategy.PrepareUpdate("status", current, updated, Now);

        stored["spec"]!.ToJsonString().Should().Be(current["spec"]!.ToJsonString());
        stored["status"]!.ToJsonString().Should().Be(JsonNode.Parse($$"""
            {"conditions":[{"type":"Approved","status":"True","reason":"ok","lastUpdateTime":"2026-03-01T09:30:00Z","lastTransitionTime":"2026-03-01T09:30:00Z"},
                           {"type":"Failed","status":"True","lastUpdateTime":"2026-03-01T10:00:00Z","lastTransitionTime":"2026-03-01T10:00:00Z"}],
             "certificate":"{{certificate}}"}
            """)!.ToJsonString());
        stored["metadata"]!["annotations"]!["note"]!.GetValue<string>().Should().Be("issued");
    }

    [Fact]
    public void ApprovalUpdate_TakesConditionsOnly_AndKeepsTransitionTimeOfTheSameStatus()
    {
        var certificate = Csrs.Certificate();
        var current = Stored($$"""{"conditions":[{"type":"Custom","status":"True","lastUpdateTime":"2026-03-01T09:10:00Z","lastTransitionTime":"2026-03-01T09:00:00Z"}],"certificate":"{{certificate}}"}""");
        var updated = Csrs.Object(Request, status: """{"conditions":[{"type":"Custom","status":"True"},{"type":"Approved","status":"True","reason":"KubectlApprove"}],"certificate":"eA=="}""");

        var stored = CertificateSigningRequestStrategy.PrepareUpdate("approval", current, updated, Now);

        stored["status"]!.ToJsonString().Should().Be(JsonNode.Parse($$"""
            {"certificate":"{{certificate}}",
             "conditions":[{"type":"Custom","status":"True","lastUpdateTime":"2026-03-01T10:00:00Z","lastTransitionTime":"2026-03-01T09:00:00Z"},
                           {"type":"Approved","status":"True","reason":"KubectlApprove","lastUpdateTime":"2026-03-01T10:00:00Z","lastTransitionTime":"2026-03-01T10:00:00Z"}]}
            """)!.ToJsonString());
    }
}
