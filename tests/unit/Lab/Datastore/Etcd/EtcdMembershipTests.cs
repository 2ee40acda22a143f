using K3sLab.K3s.Store.Etcd;
using Wire = K3sLab.K3s.Etcd.Wire;

namespace K3sLab.Lab.Tests.Datastore.Etcd;

/// <summary>How a <c>--disable-etcd</c> server's etcd client follows the store's voters: which endpoints a member list gives, and how the member set changes.</summary>
[Trait("Category", "Unit")]
public sealed class EtcdMembershipTests
{
    private static readonly Uri A = new("https://10.0.0.1:2379");
    private static readonly Uri B = new("https://10.0.0.2:2379");
    private static readonly Uri C = new("https://10.0.0.3:2379");

    [Fact]
    public void FollowedEndpoints_NewVoter_IsAppended_AndTheCurrentOrderKept()
    {
        var followed = EtcdClientStore.FollowedEndpoints([B, A], [Voter(A), Voter(B), Voter(C)]);

        followed.Should().Equal([B, A, C], "the preferred member and the failover order stay put; the new voter comes last");
    }

    [Fact]
    public void FollowedEndpoints_RemovedMembersAndLearners_AreLeftOut()
    {
        var followed = EtcdClientStore.FollowedEndpoints([A, B], [Voter(B), Learner(C)]);

        followed.Should().Equal([B], "A left the membership and C is only a learner");
    }

    [Fact]
    public void FollowedEndpoints_NoUsableVoter_KeepsTheCurrentList()
    {
        var noUrl = new Wire.Member { ID = 9, Name = "starting" };
        var bad = Voter(new Uri("unix:///run/etcd.sock"));

        EtcdClientStore.FollowedEndpoints([A, B], [noUrl, bad, Learner(C)]).Should().Equal([A, B]);
        EtcdClientStore.FollowedEndpoints([A, B], []).Should().Equal([A, B]);
    }

    [Fact]
    public void FollowedEndpoints_SameSetInAnotherCase_OrOrder_ChangesNothing()
    {
        EtcdClientStore.FollowedEndpoints([A, B], [Voter(B), Voter(new Uri("HTTPS://10.0.0.1:2379"))]).Should().Equal([A, B]);
    }

    [Fact]
    public void Update_KeepsChannelsOfListedMembers_AndThePreferredOneWhileItIsListed()
    {
        using var members = new EtcdMembers(new EtcdClientOptions(new EtcdEndpointList([A, B])));
        var a = members.Current[0];
        var b = members.Current[1];
        members.Failed(a);
        members.Preferred.Should().BeSameAs(b);

        members.Update([A, B]).Should().BeFalse("the same list changes nothing");
        members.Update([A, B, C]).Should().BeTrue();

        members.Current.Select(m => m.Endpoint).Should().Equal([A, B, C]);
        members.Current[0].Should().BeSameAs(a, "a listed member keeps its channel");
        members.Current[1].Should().BeSameAs(b);
        members.Preferred.Should().BeSameAs(b, "the preferred member is still listed");
        members.Describe().Should().Be("https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379");
    }

    [Fact]
    public void Update_PreferredMemberRemoved_PrefersTheFirst_AndAnEmptyListIsRefused()
    {
        using var members = new EtcdMembers(new EtcdClientOptions(new EtcdEndpointList([A, B])));

        members.Update([C, B]).Should().BeTrue();

        members.Preferred.Endpoint.Should().Be(C);
        members.Update([]).Should().BeFalse("an empty list would leave nowhere to call");
        members.Current.Select(m => m.Endpoint).Should().Equal([C, B]);
    }

    [Fact]
    public void Failed_MovesToTheNextMember_OnlyWhenTheFailedOneIsStillPreferred()
    {
        using var members = new EtcdMembers(new EtcdClientOptions(new EtcdEndpointList([A, B, C])));
        var (a, b, c) = (members.Current[0], members.Current[1], members.Current[2]);

        members.Failed(a);
        members.Failed(a);
        members.Preferred.Should().BeSameAs(b, "a second report of the same failure does not skip a member");
        members.Failed(b);
        members.Failed(c);
        members.Preferred.Should().BeSameAs(a, "the list wraps around");
    }

    private static Wire.Member Voter(Uri url) => new() { ID = (ulong)url.Port + (ulong)url.Host.Length, Name = url.Host, ClientURLs = { url.ToString().TrimEnd('/') } };

    private static Wire.Member Learner(Uri url) => new() { ID = 7, Name = url.Host, IsLearner = true, ClientURLs = { url.ToString().TrimEnd('/') } };
}
