using System.Diagnostics;
using Grpc.Core;
using K3sLab.K3s.Etcd.Wire;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Raft;

/// <summary>What one failover trial measured: from SIGKILL of the leader to the first write acknowledged by a survivor.</summary>
internal sealed record FailoverTrial(int Trial, string Killed, string WrittenThrough, double RecoverySeconds, long FailedAttempts);

/// <summary>
/// Failover trials: a steady put load runs through a member that is not the leader; the leader is killed with
/// SIGKILL; the recovery time is from the kill to the first put that was sent after the kill and acknowledged by
/// that survivor. Each put has a short deadline and is retried at once when it fails. Then the load stops, the killed
/// member is started again on its data, and the next trial waits until every member has caught up.
/// </summary>
internal static class Failover
{
    private const int Writers = 4;
    private static readonly TimeSpan PutDeadline = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static async Task<List<FailoverTrial>> RunAsync(ClusterUnderTest cluster, int trials, TimeSpan steadyBeforeKill, Action<FailoverTrial> progress, CancellationToken ct)
    {
        var results = new List<FailoverTrial>();
        for (var trial = 1; trial <= trials; trial++)
        {
            await cluster.WaitCaughtUpAsync(Deadline, ct);
            var leader = await cluster.WaitForLeaderAsync(Deadline, ct);
            var survivor = cluster.Members.First(m => m != leader);
            var result = await TrialAsync(trial, leader, survivor, steadyBeforeKill, ct);
            results.Add(result);
            progress(result);
            cluster.Restart(leader);
        }

        await cluster.WaitCaughtUpAsync(Deadline, ct);
        return results;
    }

    private static async Task<FailoverTrial> TrialAsync(int trial, MemberProcess leader, MemberProcess survivor, TimeSpan steadyBeforeKill, CancellationToken ct)
    {
        using var channels = new Channels(survivor.ClientUrl, Writers);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var killedAt = long.MaxValue;
        var firstAfterKill = long.MaxValue;
        var failed = 0L;
        var recovered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, Writers).Select(i => Task.Run(
            async () =>
            {
                var kv = new KV.KVClient(channels[i]);
                var random = new Random((trial * 100) + i);
                while (!stop.IsCancellationRequested)
                {
                    var sent = Stopwatch.GetTimestamp();
                    try
                    {
                        await kv.PutAsync(new PutRequest { Key = Payloads.Key("/perf/failover/", random.NextInt64()), Value = Payloads.Value }, deadline: DateTime.UtcNow + PutDeadline, cancellationToken: stop.Token);
                        var done = Stopwatch.GetTimestamp();
                        if (sent >= Volatile.Read(ref killedAt))
                        {
                            InterlockedMin(ref firstAfterKill, done);
                            recovered.TrySetResult();
                        }
                    }
                    catch (RpcException) when (!stop.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    catch (RpcException)
                    {
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            },
            CancellationToken.None)).ToList();

        await Task.Delay(steadyBeforeKill, ct);
        var failedBefore = Interlocked.Read(ref failed);
        Volatile.Write(ref killedAt, Stopwatch.GetTimestamp());
        await leader.KillAsync();
        await recovered.Task.WaitAsync(Deadline, ct);
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        var seconds = Stopwatch.GetElapsedTime(killedAt, Interlocked.Read(ref firstAfterKill)).TotalSeconds;
        return new FailoverTrial(trial, leader.Name, survivor.Name, seconds, Interlocked.Read(ref failed) - failedBefore);
    }

    private static void InterlockedMin(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value < current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
