using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.Jobs;

namespace K3sLab.Lab.Tests.Controllers.Jobs;

/// <summary>The cronjob controller's pure decisions on an injected clock: due times, names, policies, history, requeues.</summary>
[Trait("Category", "Unit")]
public sealed class CronJobPlannerTests
{
    private static readonly DateTimeOffset Created = new(2026, 3, 1, 12, 0, 30, TimeSpan.Zero);

    [Fact]
    public void Plan_BeforeTheFirstScheduleTime_CreatesNothingAndRequeuesForIt()
    {
        var plan = CronJobPlanner.Plan(CronJob("*/5 * * * *"), [], Created.AddSeconds(10), NoZones);

        plan.CreateJob.Should().BeNull();
        plan.RequeueAfter.Should().Be(TimeSpan.FromSeconds(260));
    }

    [Fact]
    public void Plan_ScheduleTimeDue_CreatesTheJobNamedByMinutesSinceTheEpoch()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 1, 5, TimeSpan.Zero);
        var plan = CronJobPlanner.Plan(CronJob("* * * * *"), [], now, NoZones);

        var scheduled = new DateTimeOffset(2026, 3, 1, 12, 1, 0, TimeSpan.Zero);
        plan.CreateJob.Should().NotBeNull();
        plan.CreateJob!["metadata"]!["name"]!.GetValue<string>().Should().Be($"cj-{scheduled.ToUnixTimeSeconds() / 60}");
        plan.CreateJob["metadata"]!["annotations"]![CronJobPlanner.ScheduledTimestampAnnotation]!.GetValue<string>().Should().Be("2026-03-01T12:01:00Z");
        plan.CreateJob["metadata"]!["labels"]!["team"]!.GetValue<string>().Should().Be("a");
        plan.CreateJob["metadata"]!["ownerReferences"]![0]!["kind"]!.GetValue<string>().Should().Be("CronJob");
        plan.CreateJob["spec"]!["template"]!["spec"]!["restartPolicy"]!.GetValue<string>().Should().Be("Never");
        plan.Status["lastScheduleTime"]!.GetValue<string>().Should().Be("2026-03-01T12:01:00Z");
        plan.RequeueAfter.Should().Be(TimeSpan.FromSeconds(55));
    }

    [Fact]
    public void Plan_JobForTheDueTimeExists_CreatesNoOther()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 1, 5, TimeSpan.Zero);
        var cronJob = CronJob("* * * * *");
        var existing = Job(cronJob, CronJobPlanner.JobName(cronJob, new DateTimeOffset(2026, 3, 1, 12, 1, 0, TimeSpan.Zero)), finished: null);

        var plan = CronJobPlanner.Plan(cronJob, [existing], now, NoZones);

        plan.CreateJob.Should().BeNull();
        plan.Status["active"]!.AsArray().Should().ContainSingle();
    }

    [Fact]
    public void Plan_ForbidWithARunningJob_SkipsTheRun()
    {
        var cronJob = CronJob("* * * * *", policy: "Forbid");
        var plan = CronJobPlanner.Plan(cronJob, [Job(cronJob, "cj-old", finished: null)], Created.AddMinutes(2), NoZones);

        plan.CreateJob.Should().BeNull();
        plan.Events.Should().Contain(e => e.Reason == "JobAlreadyActive");
    }

    [Fact]
    public void Plan_ReplaceWithARunningJob_DeletesItAndCreatesTheNewOne()
    {
        var cronJob = CronJob("* * * * *", policy: "Replace");
        var plan = CronJobPlanner.Plan(cronJob, [Job(cronJob, "cj-old", finished: null)], Created.AddMinutes(2), NoZones);

        plan.DeleteJobs.Should().Equal("cj-old");
        plan.CreateJob.Should().NotBeNull();
    }

    [Fact]
    public void Plan_Suspended_CreatesNothing()
    {
        var cronJob = CronJob("* * * * *");
        cronJob["spec"]!["suspend"] = true;

        CronJobPlanner.Plan(cronJob, [], Created.AddMinutes(2), NoZones).CreateJob.Should().BeNull();
    }

    [Fact]
    public void Plan_StartingDeadline_IgnoresTimesOlderThanIt()
    {
        var cronJob = CronJob("0 * * * *");
        cronJob["spec"]!["startingDeadlineSeconds"] = 60;

        CronJobPlanner.Plan(cronJob, [], new DateTimeOffset(2026, 3, 1, 13, 5, 0, TimeSpan.Zero), NoZones).CreateJob.Should().BeNull();
        CronJobPlanner.Plan(cronJob, [], new DateTimeOffset(2026, 3, 1, 13, 0, 30, TimeSpan.Zero), NoZones).CreateJob.Should().NotBeNull();
    }

    [Fact]
    public void Plan_FinishedJobs_KeptUpToTheHistoryLimitsAndLastSuccessfulTimeSet()
    {
        var cronJob = CronJob("0 0 1 1 *");
        cronJob["spec"]!["successfulJobsHistoryLimit"] = 1;
        cronJob["spec"]!["failedJobsHistoryLimit"] = 0;
        var jobs = new[]
        {
            Job(cronJob, "ok1", "Complete", Created.AddMinutes(1)),
            Job(cronJob, "ok2", "Complete", Created.AddMinutes(2)),
            Job(cronJob, "bad", "Failed", Created.AddMinutes(3)),
        };

        var plan = CronJobPlanner.Plan(cronJob, jobs, Created.AddMinutes(10), NoZones);

        plan.DeleteJobs.Should().BeEquivalentTo("ok1", "bad");
        plan.Status["lastSuccessfulTime"]!.GetValue<string>().Should().Be(PodState.Stamp(Created.AddMinutes(2).AddSeconds(5)));
        plan.Status["active"].Should().BeNull();
    }

    [Fact]
    public void Plan_TimeZone_SchedulesInThatZone()
    {
        var cronJob = CronJob("0 9 * * *");
        cronJob["spec"]!["timeZone"] = "Test/Plus2";
        var zone = TimeZoneInfo.CreateCustomTimeZone("Test/Plus2", TimeSpan.FromHours(2), "Test/Plus2", "Test/Plus2");

        var plan = CronJobPlanner.Plan(cronJob, [], new DateTimeOffset(2026, 3, 2, 7, 0, 10, TimeSpan.Zero), n => n == "Test/Plus2" ? zone : null);

        plan.CreateJob.Should().NotBeNull();
        plan.CreateJob!["metadata"]!["annotations"]![CronJobPlanner.ScheduledTimestampAnnotation]!.GetValue<string>().Should().Be("2026-03-02T09:00:00+02:00");
    }

    [Fact]
    public void Plan_UnknownTimeZoneOrBadSchedule_WarnsAndCreatesNothing()
    {
        var zoned = CronJob("* * * * *");
        zoned["spec"]!["timeZone"] = "Nowhere/Land";
        var bad = CronJob("61 * * * *");

        CronJobPlanner.Plan(zoned, [], Created.AddMinutes(5), NoZones).Events.Should().ContainSingle(e => e.Reason == "UnknownTimeZone");
        var plan = CronJobPlanner.Plan(bad, [], Created.AddMinutes(5), NoZones);
        plan.CreateJob.Should().BeNull();
        plan.Events.Should().ContainSingle(e => e.Reason == "UnparseableSchedule");
    }

    [Fact]
    public void ParseSchedule_CronTzPrefix_UsesThatZone()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("Test/Minus5", TimeSpan.FromHours(-5), "Test/Minus5", "Test/Minus5");
        var spec = new JsonObject { ["schedule"] = "CRON_TZ=Test/Minus5 0 9 * * *" };

        var (schedule, found, error) = CronJobPlanner.ParseSchedule(spec, n => n == "Test/Minus5" ? zone : null);

        error.Should().BeNull();
        found.Should().BeSameAs(zone);
        schedule!.Next(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero)).Should().Be(new DateTimeOffset(2026, 3, 2, 14, 0, 0, TimeSpan.Zero));
    }

    private static TimeZoneInfo? NoZones(string name) => null;

    private static JsonObject CronJob(string schedule, string policy = "Allow") => JsonNode.Parse("""
        {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"cj","namespace":"default","uid":"cj-uid","creationTimestamp":"@PODSTATESTAMPCREATED@"},
         "spec":{"schedule":"@SCHEDULE@","concurrencyPolicy":"@POLICY@","suspend":false,"successfulJobsHistoryLimit":3,"failedJobsHistoryLimit":1,
                 "jobTemplate":{"metadata":{"labels":{"team":"a"}},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}},
         "status":{}}
        """.Replace("@PODSTATESTAMPCREATED@", PodState.Stamp(Created), StringComparison.Ordinal).Replace("@SCHEDULE@", schedule, StringComparison.Ordinal).Replace("@POLICY@", policy, StringComparison.Ordinal))!.AsObject();

    private static JsonObject Job(JsonObject cronJob, string name, string? finished, DateTimeOffset? started = null)
    {
        var job = CronJobPlanner.NewJob(cronJob, Created, TimeZoneInfo.Utc);
        job["metadata"]!["name"] = name;
        job["metadata"]!["uid"] = name + "-uid";
        job["status"] = new JsonObject();
        if (started is { } at)
        {
            job["status"]!["startTime"] = PodState.Stamp(at);
        }

        if (finished is not null)
        {
            job["status"]!["conditions"] = new JsonArray(new JsonObject { ["type"] = finished, ["status"] = "True" });
            if (finished == "Complete")
            {
                job["status"]!["completionTime"] = PodState.Stamp(started!.Value.AddSeconds(5));
            }
        }

        return job;
    }
}
