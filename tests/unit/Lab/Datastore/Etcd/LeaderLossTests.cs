using Grpc.Core;
using K3sLab.K3s.Etcd;

namespace K3sLab.Lab.Tests.Datastore.Etcd;

/// <summary>etcd's require-leader rule (<c>hasleader</c> metadata) on our etcd API: refused at the start, ended after three leaderless checks.</summary>
[Trait("Category", "Unit")]
public sealed class LeaderLossTests
{
    private const ulong Leader = 7;

    [Fact]
    public void Link_WithoutTheMetadata_LeavesTheStreamOnItsOwnToken()
    {
        var cluster = new Cluster();
        using var leaders = new LeaderLoss(cluster, TimeProvider.System);

        leaders.Link(new Context()).Should().BeNull();
        leaders.Link(new Context(("hasleader", "false"))).Should().BeNull();
    }

    [Fact]
    public void Check_ThreeLeaderlessChecksInARow_EndTheStreamsThatRequireALeader()
    {
        var cluster = new Cluster();
        using var leaders = new LeaderLoss(cluster, TimeProvider.System);
        using var stream = leaders.Link(new Context(("hasleader", "true")))!;

        cluster.Leader = 0;
        leaders.Check();
        leaders.Check();
        stream.IsCancellationRequested.Should().BeFalse("two election timeouts without a leader are not yet a loss");

        leaders.Check();
        stream.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public void Check_ALeaderBetweenChecks_StartsTheCountAgain()
    {
        var cluster = new Cluster();
        using var leaders = new LeaderLoss(cluster, TimeProvider.System);
        using var stream = leaders.Link(new Context(("hasleader", "true")))!;

        cluster.Leader = 0;
        leaders.Check();
        leaders.Check();
        cluster.Leader = Leader;
        leaders.Check();
        cluster.Leader = 0;
        leaders.Check();
        leaders.Check();

        stream.IsCancellationRequested.Should().BeFalse("the leader was back in between");
        leaders.Check();
        stream.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public void Check_AStreamOpenedAfterALoss_WaitsForTheNextOne()
    {
        var cluster = new Cluster { Leader = 0 };
        using var leaders = new LeaderLoss(cluster, TimeProvider.System);
        for (var i = 0; i < LeaderLoss.ChecksBeforeLoss; i++)
        {
            leaders.Check();
        }

        using var later = leaders.Link(new Context(("hasleader", "true")))!;
        later.IsCancellationRequested.Should().BeFalse();
        leaders.Check();
        leaders.Check();
        later.IsCancellationRequested.Should().BeFalse();
        leaders.Check();
        later.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public void Link_TheCallEnds_CancelsItsToken()
    {
        using var leaders = new LeaderLoss(new Cluster(), TimeProvider.System);
        using var call = new CancellationTokenSource();
        using var stream = leaders.Link(new Context(call.Token, ("hasleader", "true")))!;

        call.Cancel();

        stream.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public async Task Interceptor_RequireLeaderWithoutOne_RefusesWithEtcdsError()
    {
        var cluster = new Cluster { Leader = 0 };
        using var leaders = new LeaderLoss(cluster, TimeProvider.System);
        var interceptor = new RequireLeaderInterceptor(leaders);
        static Task<string> Handler(string request, ServerCallContext context) => Task.FromResult(request + " served");

        var refused = () => interceptor.UnaryServerHandler("get", new Context(("hasleader", "true")), Handler);

        var error = (await refused.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.Unavailable);
        error.Status.Detail.Should().Be("etcdserver: no leader");
        (await interceptor.UnaryServerHandler("get", new Context(), Handler)).Should().Be("get served", "a call without the metadata is served from local state");
        cluster.Leader = Leader;
        (await interceptor.UnaryServerHandler("get", new Context(("hasleader", "true")), Handler)).Should().Be("get served");
    }

    /// <summary>Only what <see cref="LeaderLoss"/> reads; the rest is never called.</summary>
    private sealed class Cluster : IClusterView
    {
        public ulong Leader { get; set; } = LeaderLossTests.Leader;

        public TimeSpan ElectionTimeout => TimeSpan.FromHours(1);

        public ulong MemberId => 1;

        public ulong ClusterId => 2;

        public ulong RaftTerm => 3;

        public (ulong Index, ulong Applied) RaftIndexes => (0, 0);

        public bool IsLearner => false;

        public IReadOnlyList<ClusterMember> Members() => throw new NotSupportedException();

        public Task<(ClusterMember Added, IReadOnlyList<ClusterMember> Members)> AddMemberAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<ClusterMember>> PromoteMemberAsync(ulong id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<ClusterMember>> RemoveMemberAsync(ulong id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<ClusterMember>> UpdateMemberAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task MoveLeaderAsync(ulong target, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>A server call with the given request headers.</summary>
    private sealed class Context(CancellationToken cancellation, params (string Key, string Value)[] headers) : ServerCallContext
    {
        private readonly Metadata _headers = [.. headers.Select(h => new Metadata.Entry(h.Key, h.Value))];

        public Context(params (string Key, string Value)[] headers)
            : this(CancellationToken.None, headers)
        {
        }

        protected override string MethodCore => "/etcdserverpb.KV/Range";

        protected override string HostCore => "127.0.0.1";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => DateTime.MaxValue;

        protected override Metadata RequestHeadersCore => _headers;

        protected override CancellationToken CancellationTokenCore => cancellation;

        protected override Metadata ResponseTrailersCore { get; } = [];

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore => new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
