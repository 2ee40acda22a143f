using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using K3sLab.K3s.Etcd.Wire;
using K3sLab.Lab.Host;

namespace K3sLab.Perf.Raft;

/// <summary>
/// Three members on loopback with fresh data folders: real etcd 3.4 bootstrapped from a static
/// <c>--initial-cluster</c>, or <c>k3s datastore member</c> formed by the join flow the k3s server roles use (the
/// first with <c>--cluster-init</c>, the others with <c>--join</c> to it). Both run with etcd's default timing,
/// 100 ms heartbeats and a 1,000 ms election timeout. Killed and deleted on dispose.
/// </summary>
internal sealed class ClusterUnderTest : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly string[] Timing = ["--heartbeat-interval", "100", "--election-timeout", "1000"];

    /// <summary>Extra flags for every member of either cluster (the suite's <c>--snapshot-count</c>).</summary>
    public static IReadOnlyList<string> SharedFlags { get; set; } = [];

    private readonly DirectoryInfo _root;
    private readonly Func<MemberProcess, bool, IEnumerable<string>> _arguments;

    private ClusterUnderTest(string side, string title, DirectoryInfo root, IReadOnlyList<MemberProcess> members, Func<MemberProcess, bool, IEnumerable<string>> arguments)
    {
        Side = side;
        Title = title;
        _root = root;
        Members = members;
        _arguments = arguments;
    }

    /// <summary>"etcd" or "k3s".</summary>
    public string Side { get; }

    public string Title { get; }

    public IReadOnlyList<MemberProcess> Members { get; }

    /// <summary>Every member's endpoint as etcdctl takes them, comma-separated.</summary>
    public string Endpoints => string.Join(',', Members.Select(m => m.Endpoint));

    /// <summary>CPU seconds all three members have used so far.</summary>
    public double CpuSeconds() => Members.Sum(m => m.CpuSeconds());

    public static async Task<ClusterUnderTest> StartEtcdAsync(CancellationToken ct)
    {
        var root = Directory.CreateTempSubdirectory("k3slab-perf-raft-etcd-");
        var members = NewMembers("/usr/bin/etcd", root);
        var initial = string.Join(',', members.Select(m => $"{m.Name}={m.PeerUrl}"));
        IEnumerable<string> Arguments(MemberProcess m, bool first) =>
        [
            "--name", m.Name, "--data-dir", m.DataDirectory,
            "--listen-client-urls", m.ClientUrl, "--advertise-client-urls", m.ClientUrl,
            "--listen-peer-urls", m.PeerUrl, "--initial-advertise-peer-urls", m.PeerUrl,
            "--initial-cluster", initial, "--initial-cluster-state", "new", .. Timing, .. SharedFlags,
        ];
        var cluster = new ClusterUnderTest("etcd", "etcd 3.4, 3 members (static --initial-cluster)", root, members, Arguments);
        try
        {
            foreach (var m in members)
            {
                m.Start(Arguments(m, first: true));
            }

            await cluster.WaitForVotersAsync(ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public static async Task<ClusterUnderTest> StartOursAsync(string k3s, CancellationToken ct)
    {
        var root = Directory.CreateTempSubdirectory("k3slab-perf-raft-k3s-");
        var members = NewMembers(k3s, root);
        IEnumerable<string> Arguments(MemberProcess m, bool first)
        {
            string[] common =
            [
                "datastore", "member", "--name", m.Name, "--data-dir", m.DataDirectory,
                "--listen-client-urls", m.ClientUrl, "--listen-peer-urls", m.PeerUrl, .. Timing, .. SharedFlags,
            ];

            // A restart on existing data ignores both flags; the first start of the first member creates the cluster.
            return !first ? common : m == members[0] ? [.. common, "--cluster-init"] : [.. common, "--join", members[0].ClientUrl];
        }

        var cluster = new ClusterUnderTest("k3s", "k3s datastore member, 3 members (--cluster-init, then --join)", root, members, Arguments);
        try
        {
            foreach (var m in members)
            {
                m.Start(Arguments(m, first: true));
                await cluster.WaitServingAsync(m, ct);
            }

            await cluster.WaitForVotersAsync(ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a killed member again on its data.</summary>
    public void Restart(MemberProcess member) => member.Start(_arguments(member, false));

    /// <summary>The member every running member names as leader, or null while they disagree or none is elected.</summary>
    public async Task<MemberProcess?> LeaderAsync(CancellationToken ct)
    {
        ulong? leader = null;
        var byId = new Dictionary<ulong, MemberProcess>();
        foreach (var m in Members.Where(m => m.IsRunning))
        {
            var status = await StatusAsync(m, ct);
            if (status is null || status.Leader == 0 || (leader is { } l && l != status.Leader))
            {
                return null;
            }

            leader = status.Leader;
            byId[status.Header.MemberId] = m;
        }

        return leader is { } id && byId.TryGetValue(id, out var member) ? member : null;
    }

    /// <summary>Waits until a leader is agreed on and returns it.</summary>
    public async Task<MemberProcess> WaitForLeaderAsync(TimeSpan deadline, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (await LeaderAsync(ct) is { } leader)
            {
                return leader;
            }

            if (watch.Elapsed > deadline)
            {
                throw new TimeoutException($"{Title}: no agreed leader within {deadline.TotalSeconds:0} s\n{Logs()}");
            }

            await Task.Delay(50, ct);
        }
    }

    /// <summary>
    /// Waits until every member runs, answers status and has applied as far as the leader's log reached when this
    /// was called (so a restarted member has caught up with everything written before).
    /// </summary>
    public async Task WaitCaughtUpAsync(TimeSpan deadline, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        ulong target = 0;
        while (true)
        {
            var statuses = new List<StatusResponse?>();
            foreach (var m in Members)
            {
                statuses.Add(await StatusAsync(m, ct));
            }

            if (target == 0 && statuses.FirstOrDefault(s => s is not null && s.Leader == s.Header.MemberId) is { } leader)
            {
                target = leader.RaftIndex;
            }

            if (target > 0 && statuses.All(s => s is not null && s.RaftAppliedIndex >= target && !s.IsLearner))
            {
                return;
            }

            if (watch.Elapsed > deadline)
            {
                throw new TimeoutException($"{Title}: members did not catch up with index {target} within {deadline.TotalSeconds:0} s\n{Logs()}");
            }

            await Task.Delay(50, ct);
        }
    }

    /// <summary>What <c>etcdctl member list -w table</c> prints (etcdctl 3.4 from /usr/bin).</summary>
    public async Task<(bool ThreeStartedVoters, string Table)> MemberListAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo("/usr/bin/etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ETCDCTL_API"] = "3";
        foreach (var arg in new[] { $"--endpoints={Members[0].Endpoint}", "member", "list", "-w", "table" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var table = (await stdout).Trim() + (await stderr).Trim();

        // Rows: | ID | STATUS | NAME | PEER ADDRS | CLIENT ADDRS | IS LEARNER |
        var rows = table.Split('\n').Where(l => l.StartsWith('|') && !l.Contains("STATUS", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToList();
        var ok = process.ExitCode == 0 && rows.Count == 3 && rows.All(r => r.Length >= 7 && r[2] == "started" && r[6] == "false");
        return (ok, table);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var m in Members)
        {
            await m.DisposeAsync();
        }

        _root.Delete(recursive: true);
    }

    public string Logs() => string.Join('\n', Members.Select(m => $"--- {m.Name} ---\n{m.Log()}"));

    private static List<MemberProcess> NewMembers(string executable, DirectoryInfo root) =>
        [.. Enumerable.Range(1, 3).Select(i => new MemberProcess(
            string.Create(CultureInfo.InvariantCulture, $"m{i}"), executable, Loopback.FreePort(), Loopback.FreePort(), Path.Combine(root.FullName, $"m{i}")))];

    private static async Task<StatusResponse?> StatusAsync(MemberProcess member, CancellationToken ct)
    {
        if (!member.IsRunning)
        {
            return null;
        }

        try
        {
            using var channel = GrpcChannel.ForAddress(member.ClientUrl);
            return await new Maintenance.MaintenanceClient(channel).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: ct);
        }
        catch (RpcException)
        {
            return null;
        }
    }

    private async Task WaitServingAsync(MemberProcess member, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (await StatusAsync(member, ct) is null)
        {
            if (!member.IsRunning || watch.Elapsed > StartDeadline)
            {
                throw new InvalidOperationException($"{Title}: {member.Name} did not serve within {StartDeadline.TotalSeconds:0} s\n{Logs()}");
            }

            await Task.Delay(50, ct);
        }
    }

    /// <summary>Ready when a leader is agreed on and every member is a caught-up voter.</summary>
    private async Task WaitForVotersAsync(CancellationToken ct)
    {
        await WaitForLeaderAsync(StartDeadline, ct);
        await WaitCaughtUpAsync(StartDeadline, ct);
    }
}
