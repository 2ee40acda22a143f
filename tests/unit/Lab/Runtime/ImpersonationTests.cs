using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Authorization;
using K3sLab.K3s.ApiServer.Errors;
using Microsoft.AspNetCore.Http;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class ImpersonationTests
{
    private static readonly UserInfo Operator = new("op", ["system:authenticated"]);

    [Fact]
    public void User_AndGroups_EachNeedTheImpersonateVerb()
    {
        var asked = new List<AccessRequest>();
        var headers = new HeaderDictionary { ["Impersonate-User"] = "alice", ["Impersonate-Group"] = new(["devs", "ops"]) };

        var user = Impersonation.Apply(Operator, headers, (_, request) => { asked.Add(request); return true; });

        user.Should().BeEquivalentTo(new UserInfo("alice", ["devs", "ops", "system:authenticated"]));
        asked.Select(a => (a.Verb, a.Resource, a.Name)).Should().Equal(("impersonate", "users", "alice"), ("impersonate", "groups", "devs"), ("impersonate", "groups", "ops"));
    }

    [Fact]
    public void ServiceAccount_IsCheckedAsAServiceAccount_AndGetsItsGroups()
    {
        AccessRequest? asked = null;
        var headers = new HeaderDictionary { ["Impersonate-User"] = "system:serviceaccount:dev:builder" };

        var user = Impersonation.Apply(Operator, headers, (_, request) => { asked = request; return true; });

        asked.Should().Be(new AccessRequest("impersonate", "", "serviceaccounts", "", "dev", "builder"));
        user.Groups.Should().Equal("system:serviceaccounts", "system:serviceaccounts:dev", "system:authenticated");
    }

    [Fact]
    public void Refused_IsForbiddenNamingTheFirstRefusedPart_AndGroupsAloneAreABadRequest()
    {
        var refused = () => Impersonation.Apply(Operator, new HeaderDictionary { ["Impersonate-User"] = "alice", ["Impersonate-Group"] = "system:masters" }, (_, r) => r.Resource == "users");
        var groupsOnly = () => Impersonation.Apply(Operator, new HeaderDictionary { ["Impersonate-Group"] = "devs" }, (_, _) => true);

        refused.Should().Throw<ApiStatusException>().Which.Message.Should().Be("groups \"system:masters\" is forbidden: User \"op\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope");
        groupsOnly.Should().Throw<ApiStatusException>().Which.Code.Should().Be(400);
    }

    [Fact]
    public void UidAndExtras_AreCheckedEach_AndCarriedByTheUser()
    {
        var asked = new List<AccessRequest>();
        var headers = new HeaderDictionary
        {
            ["Impersonate-User"] = "alice",
            ["Impersonate-Uid"] = "a1b2",
            ["Impersonate-Extra-Scopes"] = new(["view", "edit"]),
            ["Impersonate-Extra-Example.com%2fteam"] = "blue",
        };

        var user = Impersonation.Apply(Operator, headers, (_, request) => { asked.Add(request); return true; });

        user.Uid.Should().Be("a1b2");
        user.Extra.Should().BeEquivalentTo(new Dictionary<string, IReadOnlyList<string>> { ["scopes"] = ["view", "edit"], ["example.com/team"] = ["blue"] });
        asked.Select(a => (a.Resource, a.Subresource, a.Name)).Should().Equal(
            ("users", "", "alice"), ("uids", "", "a1b2"), ("userextras", "scopes", "view"), ("userextras", "scopes", "edit"), ("userextras", "example.com/team", "blue"));
    }

    [Fact]
    public void NoUidOrExtras_LeavesThemOut()
    {
        var user = Impersonation.Apply(Operator, new HeaderDictionary { ["Impersonate-User"] = "alice" }, (_, _) => true);

        user.Uid.Should().BeNull();
        user.Extra.Should().BeEmpty();
    }
}
