using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.Jobs;

namespace K3sLab.Lab.Tests.Controllers.Jobs;

/// <summary>The job controller's pure decisions: parallelism, finalizer-tracked counting, backoff, deadlines, suspension, completion.</summary>
[Trait("Category", "Unit")]
public sealed class JobPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Plan_NewJob_CreatesParallelismPodsAndSetsStartTime()
    {
        var plan = JobPlanner.Plan(Job(completions: 5, parallelism: 2), [], Now);

        plan.Create.Should().Equal(-1, -1);
        plan.Status["startTime"]!.GetValue<string>().Should().Be("2026-03-01T12:00:00Z");
        plan.StatusChanged.Should().BeTrue();
    }

    [Fact]
    public void Plan_FewCompletionsLeft_CreatesOnlyThoseNeeded()
    {
        var job = Job(completions: 5, parallelism: 3, succeeded: 4);

        JobPlanner.Plan(job, [], Now).Create.Should().Equal(-1);
    }

    [Fact]
    public void Plan_ZeroParallelism_CreatesNothingAndDeletesActivePods()
    {
        var job = Job(completions: 5, parallelism: 0);
        var plan = JobPlanner.Plan(job, [Pod(job, "a", "Running")], Now);

        plan.Create.Should().BeEmpty();
        plan.DeletePods.Should().Equal("a");
    }

    [Fact]
    public void Plan_FinishedPodWithFinalizer_IsRecordedAsUncountedAndItsFinalizerRemoved()
    {
        var job = Job(completions: 2, parallelism: 1);
        var done = Pod(job, "a", "Succeeded");

        var plan = JobPlanner.Plan(job, [done], Now);

        plan.Status["uncountedTerminatedPods"]!["succeeded"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("a-uid");
        plan.Status["succeeded"].Should().BeNull("a pod is only counted once its finalizer is gone");
        plan.RemoveFinalizers.Should().Equal("a");
        plan.Create.Should().Equal(-1);
    }

    [Fact]
    public void Plan_UncountedPodWithoutFinalizer_MovesIntoTheCount()
    {
        var job = Job(completions: 2, parallelism: 1);
        job["status"]!["uncountedTerminatedPods"] = new JsonObject { ["succeeded"] = new JsonArray("a-uid") };
        var done = Pod(job, "a", "Succeeded", finalizer: false);

        var plan = JobPlanner.Plan(job, [done], Now);

        plan.Status["succeeded"]!.GetValue<long>().Should().Be(1);
        plan.Status["uncountedTerminatedPods"]!.AsObject().Should().BeEmpty();
        plan.RemoveFinalizers.Should().BeEmpty();
    }

    [Fact]
    public void Plan_UncountedPodDeletedMeanwhile_IsStillCountedOnce()
    {
        var job = Job(completions: 3, parallelism: 1, succeeded: 1);
        job["status"]!["uncountedTerminatedPods"] = new JsonObject { ["failed"] = new JsonArray("gone-uid") };

        var plan = JobPlanner.Plan(job, [], Now);

        plan.Status["failed"]!.GetValue<long>().Should().Be(1);
        plan.Status["succeeded"]!.GetValue<long>().Should().Be(1);
    }

    [Fact]
    public void Plan_PodBeingDeletedBeforeSucceeding_CountsAsFailed()
    {
        var job = Job(completions: 1, parallelism: 1);
        var pod = Pod(job, "a", "Running");
        pod["metadata"]!["deletionTimestamp"] = PodState.Stamp(Now);

        JobPlanner.Plan(job, [pod], Now).Status["uncountedTerminatedPods"]!["failed"]!.AsArray().Should().HaveCount(1);
    }

    [Fact]
    public void Plan_CompletionsReached_SetsSuccessCriteriaMetThenCompleteOnceCounted()
    {
        var job = Job(completions: 1, parallelism: 1);
        var first = JobPlanner.Plan(job, [Pod(job, "a", "Succeeded")], Now);

        Conditions(first.Status).Should().Equal("SuccessCriteriaMet");

        job["status"] = first.Status;
        var second = JobPlanner.Plan(job, [Pod(job, "a", "Succeeded", finalizer: false)], Now.AddSeconds(1));

        Conditions(second.Status).Should().Equal("SuccessCriteriaMet", "Complete");
        second.Status["succeeded"]!.GetValue<long>().Should().Be(1);
        second.Status["completionTime"]!.GetValue<string>().Should().Be("2026-03-01T12:00:01Z");
        second.Events.Select(e => e.Reason).Should().Equal("Completed");
    }

    [Fact]
    public void Plan_FailuresBeyondBackoffLimit_FailsWithBackoffLimitExceededAndDeletesActivePods()
    {
        var job = Job(completions: 3, parallelism: 2, failed: 2, backoffLimit: 2);
        var plan = JobPlanner.Plan(job, [Pod(job, "f", "Failed"), Pod(job, "r", "Running")], Now);

        plan.DeletePods.Should().Equal("r");
        plan.Create.Should().BeEmpty();
        Conditions(plan.Status).Should().Equal("FailureTarget");
        plan.Status["conditions"]![0]!["reason"]!.GetValue<string>().Should().Be("BackoffLimitExceeded");

        job["status"] = plan.Status;
        var settled = JobPlanner.Plan(job, [], Now);
        Conditions(settled.Status).Should().Equal("FailureTarget", "Failed");
        settled.Status["failed"]!.GetValue<long>().Should().Be(3);
        settled.Events.Should().ContainSingle(e => e.Type == "Warning" && e.Reason == "BackoffLimitExceeded");
    }

    [Fact]
    public void Plan_RestartsUnderOnFailure_CountAgainstTheBackoffLimit()
    {
        var job = Job(completions: 1, parallelism: 1, backoffLimit: 2, restartPolicy: "OnFailure");
        var pod = Pod(job, "a", "Running");
        pod["status"]!["containerStatuses"] = new JsonArray(new JsonObject { ["name"] = "c", ["restartCount"] = 2 });

        Conditions(JobPlanner.Plan(job, [pod], Now).Status).Should().Equal("FailureTarget");
    }

    [Fact]
    public void Plan_ActiveDeadlinePassed_FailsWithDeadlineExceeded()
    {
        var job = Job(completions: 1, parallelism: 1);
        job["spec"]!["activeDeadlineSeconds"] = 30;
        job["status"]!["startTime"] = PodState.Stamp(Now.AddSeconds(-31));

        var plan = JobPlanner.Plan(job, [Pod(job, "a", "Running")], Now);

        plan.Status["conditions"]![0]!["reason"]!.GetValue<string>().Should().Be("DeadlineExceeded");
        plan.DeletePods.Should().Equal("a");
    }

    [Fact]
    public void Plan_ActiveDeadlineAhead_RequeuesAtTheDeadline()
    {
        var job = Job(completions: 1, parallelism: 1);
        job["spec"]!["activeDeadlineSeconds"] = 30;
        job["status"]!["startTime"] = PodState.Stamp(Now.AddSeconds(-10));

        JobPlanner.Plan(job, [Pod(job, "a", "Running")], Now).RequeueAfter.Should().Be(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void Plan_RecentFailure_WaitsTheBackoffBeforeANewPod()
    {
        var job = Job(completions: 1, parallelism: 1, failed: 1);
        var failed = Pod(job, "f", "Failed", finalizer: false);
        failed["status"]!["containerStatuses"] = new JsonArray(new JsonObject { ["state"] = new JsonObject { ["terminated"] = new JsonObject { ["finishedAt"] = PodState.Stamp(Now.AddSeconds(-4)) } } });

        var plan = JobPlanner.Plan(job, [failed], Now);

        plan.Create.Should().BeEmpty();
        plan.RequeueAfter.Should().Be(TimeSpan.FromSeconds(6));
        JobPlanner.Plan(job, [failed], Now.AddSeconds(7)).Create.Should().Equal(-1);
    }

    [Fact]
    public void Plan_Suspended_DeletesPodsAndSetsSuspended_ThenResumes()
    {
        var job = Job(completions: 2, parallelism: 2);
        job["spec"]!["suspend"] = true;
        var suspended = JobPlanner.Plan(job, [Pod(job, "a", "Running")], Now);

        suspended.DeletePods.Should().Equal("a");
        Conditions(suspended.Status).Should().Equal("Suspended");

        job["status"] = suspended.Status;
        job["spec"]!["suspend"] = false;
        var resumed = JobPlanner.Plan(job, [], Now.AddMinutes(1));
        resumed.Create.Should().HaveCount(2);
        resumed.Status["conditions"]![0]!["status"]!.GetValue<string>().Should().Be("False");
        resumed.Status["startTime"]!.GetValue<string>().Should().Be("2026-03-01T12:01:00Z");
    }

    [Fact]
    public void Plan_NoCompletions_CompletesWhenAnyPodSucceededAndNoneRuns()
    {
        var job = Job(completions: null, parallelism: 2);
        job["status"]!["succeeded"] = 1;

        var plan = JobPlanner.Plan(job, [], Now);

        plan.Create.Should().BeEmpty();
        Conditions(plan.Status).Should().Equal("SuccessCriteriaMet", "Complete");
    }

    [Fact]
    public void Plan_Indexed_CreatesTheLowestMissingIndexesAndTracksCompletedIndexes()
    {
        var job = Job(completions: 4, parallelism: 2);
        job["spec"]!["completionMode"] = "Indexed";
        job["status"]!["completedIndexes"] = "0";
        var running = JobPods.NewPod(job, 1);
        Finish(running, "r", "Running");
        var done = JobPods.NewPod(job, 2);
        Finish(done, "d", "Succeeded");

        var plan = JobPlanner.Plan(job, [running, done], Now);

        plan.Status["completedIndexes"]!.GetValue<string>().Should().Be("0,2");
        plan.Status["succeeded"]!.GetValue<long>().Should().Be(2);
        plan.Create.Should().Equal(3);
    }

    [Fact]
    public void NewPod_Indexed_CarriesIndexHostnameEnvAndTheTrackingFinalizer()
    {
        var job = Job(completions: 3, parallelism: 1);
        var pod = JobPods.NewPod(job, 2);

        pod["metadata"]!["generateName"]!.GetValue<string>().Should().Be("j-2-");
        pod["metadata"]!["annotations"]![JobPods.IndexAnnotation]!.GetValue<string>().Should().Be("2");
        pod["metadata"]!["finalizers"]![0]!.GetValue<string>().Should().Be(JobPods.TrackingFinalizer);
        pod["spec"]!["hostname"]!.GetValue<string>().Should().Be("j-2");
        pod["spec"]!["containers"]![0]!["env"]![0]!["value"]!.GetValue<string>().Should().Be("2");
    }

    [Fact]
    public void Plan_UnchangedStatus_IsNotRewritten()
    {
        var job = Job(completions: 2, parallelism: 1);
        var first = JobPlanner.Plan(job, [Pod(job, "a", "Running")], Now);
        job["status"] = JsonNode.Parse(first.Status.ToJsonString());

        JobPlanner.Plan(job, [Pod(job, "a", "Running")], Now.AddSeconds(5)).StatusChanged.Should().BeFalse();
    }

    [Fact]
    public void ExpiresAt_FinishedJobWithTtl_IsCompletionPlusTtl()
    {
        var job = Job(completions: 1, parallelism: 1);
        job["spec"]!["ttlSecondsAfterFinished"] = 100;
        JobPlanner.ExpiresAt(job).Should().BeNull();

        job["status"]!["completionTime"] = PodState.Stamp(Now);
        job["status"]!["conditions"] = new JsonArray(new JsonObject { ["type"] = "Complete", ["status"] = "True" });
        JobPlanner.ExpiresAt(job).Should().Be(Now.AddSeconds(100));
    }

    [Theory]
    [InlineData("", new int[0])]
    [InlineData("0", new[] { 0 })]
    [InlineData("1,3-5,7", new[] { 1, 3, 4, 5, 7 })]
    public void CompletedIndexes_RoundTrips(string text, int[] indexes)
    {
        CompletedIndexes.Parse(text).Should().Equal(indexes);
        CompletedIndexes.Format(indexes).Should().Be(text);
    }

    private static IEnumerable<string> Conditions(JsonObject status) =>
        status["conditions"]!.AsArray().Where(c => c!["status"]!.GetValue<string>() == "True").Select(c => c!["type"]!.GetValue<string>());

    private static JsonObject Job(int? completions, int parallelism, int succeeded = 0, int failed = 0, int backoffLimit = 6, string restartPolicy = "Never")
    {
        var job = JsonNode.Parse("""
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j","namespace":"default","uid":"job-uid"},
             "spec":{"parallelism":@PARALLELISM@,"backoffLimit":@BACKOFFLIMIT@,"completionMode":"NonIndexed",
                     "template":{"metadata":{"labels":{"batch.kubernetes.io/controller-uid":"job-uid"}},"spec":{"restartPolicy":"@RESTARTPOLICY@","containers":[{"name":"c","image":"busybox"}]}}},
             "status":{}}
            """.Replace("@PARALLELISM@", parallelism.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("@BACKOFFLIMIT@", backoffLimit.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("@RESTARTPOLICY@", restartPolicy, StringComparison.Ordinal))!.AsObject();
        if (completions is { } c)
        {
            job["spec"]!["completions"] = c;
        }

        if (succeeded > 0)
        {
            job["status"]!["succeeded"] = succeeded;
        }

        if (failed > 0)
        {
            job["status"]!["failed"] = failed;
        }

        return job;
    }

    private static JsonObject Pod(JsonObject job, string name, string phase, bool finalizer = true)
    {
        var pod = JobPods.NewPod(job, -1);
        Finish(pod, name, phase);
        if (!finalizer)
        {
            pod["metadata"]!["finalizers"] = new JsonArray();
        }

        return pod;
    }

    private static void Finish(JsonObject pod, string name, string phase)
    {
        pod["metadata"]!["name"] = name;
        pod["metadata"]!["uid"] = name + "-uid";
        pod["metadata"]!["creationTimestamp"] = PodState.Stamp(Now.AddMinutes(-1));
        pod["status"] = new JsonObject { ["phase"] = phase };
    }
}
