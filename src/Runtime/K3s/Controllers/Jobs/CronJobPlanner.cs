using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Server.Snapshots;

namespace K3sLab.K3s.Controllers.Jobs;

/// <summary>
/// The cronjob controller's decisions (upstream's CronJobControllerV2 syncCronJob), pure. <c>status.active</c> is
/// rebuilt from the Jobs the CronJob controls that have not finished, and <c>lastSuccessfulTime</c> from their
/// completions. The most recent schedule time not yet started — after <c>lastScheduleTime</c> (or creation), and no
/// older than <c>startingDeadlineSeconds</c> — gets a Job named <c>{cronjob}-{minutes since the epoch}</c>, unless one
/// of that name exists, the CronJob is suspended, or Forbid finds a Job still running (Replace deletes those first).
/// Finished Jobs beyond the history limits are deleted, oldest first. Schedules are standard cron
/// (<see cref="CronSchedule"/>) in <c>spec.timeZone</c> or a <c>CRON_TZ=</c>/<c>TZ=</c> prefix, UTC otherwise.
/// </summary>
internal static class CronJobPlanner
{
    public const string Kind = "CronJob";
    public const string ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";
    private const int MaxMissed = 100;
    private const int MaxIterations = 500_000;

    /// <summary>Plans a sync of <paramref name="cronJob"/>; <paramref name="zones"/> resolves IANA time zone names (null if unknown).</summary>
    public static CronJobPlan Plan(JsonObject cronJob, IEnumerable<JsonObject> ownedJobs, DateTimeOffset now, Func<string, TimeZoneInfo?> zones)
    {
        var spec = cronJob.Obj("spec");
        var stored = cronJob.Obj("status");
        var status = stored?.DeepClone() as JsonObject ?? [];
        var jobs = ownedJobs.OrderBy(ObjectKeys.Name, StringComparer.Ordinal).ToList();
        var events = new List<JobEvent>();
        var delete = new List<string>();

        var wasActive = stored.Arr("active").Items().Select(i => i.Item.Str("uid")).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var job in jobs.Where(j => wasActive.Contains(ObjectKeys.Uid(j)) && JobConditions.IsFinished(j.Obj("status"))))
        {
            var outcome = JobConditions.IsTrue(job.Obj("status"), "Complete") ? "Complete" : "Failed";
            events.Add(new JobEvent("Normal", "SawCompletedJob", $"Saw completed job: {ObjectKeys.Name(job)}, condition: {outcome}"));
        }

        var active = jobs.Where(j => !JobConditions.IsFinished(j.Obj("status"))).ToList();
        var lastSuccess = jobs.Where(j => JobConditions.IsTrue(j.Obj("status"), "Complete"))
            .Select(j => PodState.Time(j.Obj("status").Str("completionTime")))
            .Append(PodState.Time(stored.Str("lastSuccessfulTime")))
            .OfType<DateTimeOffset>()
            .DefaultIfEmpty(DateTimeOffset.MinValue)
            .Max();
        if (lastSuccess != DateTimeOffset.MinValue)
        {
            status["lastSuccessfulTime"] = PodState.Stamp(lastSuccess);
        }

        JsonObject? create = null;
        TimeSpan? requeue = null;
        if (!ObjectKeys.IsDeleting(cronJob))
        {
            delete.AddRange(History(jobs, "Complete", spec.Long("successfulJobsHistoryLimit") ?? 3));
            delete.AddRange(History(jobs, "Failed", spec.Long("failedJobsHistoryLimit") ?? 1));
            (create, requeue) = Schedule(cronJob, spec, stored, status, jobs, active, delete, events, now, zones);
        }

        status["active"] = new JsonArray([.. active.Select(j => (JsonNode)Reference(j))]);
        if (active.Count == 0)
        {
            status.Remove("active");
        }

        foreach (var name in delete)
        {
            events.Add(new JobEvent("Normal", "SuccessfulDelete", $"Deleted job {name}"));
        }

        return new CronJobPlan(status, !JsonNode.DeepEquals(stored ?? [], status), create, [.. delete.Distinct(StringComparer.Ordinal)], events, requeue);
    }

    /// <summary>The Job for the schedule time <paramref name="scheduled"/> (upstream's getJobFromTemplate2).</summary>
    public static JsonObject NewJob(JsonObject cronJob, DateTimeOffset scheduled, TimeZoneInfo zone)
    {
        var template = cronJob.Obj("spec").Obj("jobTemplate");
        var annotations = template.Obj("metadata").Obj("annotations")?.DeepClone() as JsonObject ?? [];
        annotations[ScheduledTimestampAnnotation] = TimeZoneInfo.ConvertTime(scheduled, zone).ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture).Replace("+00:00", "Z", StringComparison.Ordinal);
        return new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = new JsonObject
            {
                ["name"] = JobName(cronJob, scheduled),
                ["namespace"] = ObjectKeys.Namespace(cronJob),
                ["labels"] = template.Obj("metadata").Obj("labels")?.DeepClone() ?? new JsonObject(),
                ["annotations"] = annotations,
                ["ownerReferences"] = new JsonArray(ControllerRef.For(cronJob, JobPods.ApiVersion, Kind)),
            },
            ["spec"] = template.Obj("spec")?.DeepClone() ?? new JsonObject(),
        };
    }

    /// <summary><c>{cronjob}-{scheduled time in minutes since the Unix epoch}</c>.</summary>
    public static string JobName(JsonObject cronJob, DateTimeOffset scheduled) =>
        $"{ObjectKeys.Name(cronJob)}-{(scheduled.ToUnixTimeSeconds() / 60).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The <c>status.active</c> entry for a Job.</summary>
    public static JsonObject Reference(JsonObject job) => new()
    {
        ["apiVersion"] = "batch/v1",
        ["kind"] = "Job",
        ["name"] = ObjectKeys.Name(job),
        ["namespace"] = ObjectKeys.Namespace(job),
        ["resourceVersion"] = job.Obj("metadata").Str("resourceVersion"),
        ["uid"] = ObjectKeys.Uid(job),
    };

    /// <summary>The schedule and its zone, or why they cannot be used.</summary>
    public static (CronSchedule? Schedule, TimeZoneInfo Zone, string? Error) ParseSchedule(JsonObject? spec, Func<string, TimeZoneInfo?> zones)
    {
        var text = (spec.Str("schedule") ?? string.Empty).Trim();
        var zoneName = spec.Str("timeZone");
        foreach (var prefix in new[] { "CRON_TZ=", "TZ=" })
        {
            if (text.StartsWith(prefix, StringComparison.Ordinal) && text.IndexOf(' ', StringComparison.Ordinal) is var space and > 0)
            {
                zoneName ??= text[prefix.Length..space];
                text = text[(space + 1)..].Trim();
            }
        }

        var zone = TimeZoneInfo.Utc;
        if (zoneName is { Length: > 0 } && zoneName != "UTC" && zoneName != "Etc/UTC")
        {
            if (zones(zoneName) is not { } found)
            {
                return (null, zone, $"invalid timeZone: \"{zoneName}\": unknown time zone {zoneName}");
            }

            zone = found;
        }

        try
        {
            return (CronSchedule.Parse(text, zone), zone, null);
        }
        catch (FormatException e)
        {
            return (null, zone, $"unparseable schedule: \"{spec.Str("schedule")}\": {e.Message}");
        }
    }

    private static (JsonObject? Create, TimeSpan? Requeue) Schedule(JsonObject cronJob, JsonObject? spec, JsonObject? stored, JsonObject status, List<JsonObject> jobs, List<JsonObject> active, List<string> delete, List<JobEvent> events, DateTimeOffset now, Func<string, TimeZoneInfo?> zones)
    {
        var (schedule, zone, error) = ParseSchedule(spec, zones);
        if (schedule is null)
        {
            events.Add(new JobEvent("Warning", error!.StartsWith("invalid timeZone", StringComparison.Ordinal) ? "UnknownTimeZone" : "UnparseableSchedule", error));
            return (null, null);
        }

        if (spec.Bool("suspend") == true)
        {
            return (null, null);
        }

        var earliest = PodState.Time(stored.Str("lastScheduleTime")) ?? PodState.Time(cronJob.Obj("metadata").Str("creationTimestamp")) ?? now;
        var deadline = spec.Long("startingDeadlineSeconds");
        if (deadline is { } seconds && now.AddSeconds(-seconds) > earliest)
        {
            earliest = now.AddSeconds(-seconds);
        }

        DateTimeOffset? due = null;
        var missed = 0;
        var next = schedule.Next(earliest);
        while (next is { } at && at <= now && missed < MaxIterations)
        {
            due = at;
            missed++;
            next = schedule.Next(at);
        }

        var requeue = next is { } upcoming && upcoming > now ? upcoming - now : (TimeSpan?)null;
        if (due is not { } scheduled)
        {
            return (null, requeue);
        }

        if (missed > MaxMissed)
        {
            events.Add(new JobEvent("Warning", "TooManyMissedTimes", $"too many missed start times: {missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew"));
        }

        var name = JobName(cronJob, scheduled);
        if (jobs.Any(j => ObjectKeys.Name(j) == name))
        {
            return (null, requeue);
        }

        var policy = spec.Str("concurrencyPolicy") ?? "Allow";
        if (policy == "Forbid" && active.Count > 0)
        {
            events.Add(new JobEvent("Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid"));
            return (null, requeue);
        }

        if (policy == "Replace")
        {
            delete.AddRange(active.Select(ObjectKeys.Name));
            active.Clear();
        }

        status["lastScheduleTime"] = PodState.Stamp(scheduled);
        events.Add(new JobEvent("Normal", "SuccessfulCreate", $"Created job {name}"));
        return (NewJob(cronJob, scheduled, zone), requeue);
    }

    private static IEnumerable<string> History(List<JsonObject> jobs, string condition, long limit)
    {
        var finished = jobs.Where(j => JobConditions.IsTrue(j.Obj("status"), condition))
            .OrderBy(j => PodState.Time(j.Obj("status").Str("startTime")) ?? DateTimeOffset.MaxValue)
            .ThenBy(ObjectKeys.Name, StringComparer.Ordinal)
            .ToList();
        return finished.Take(Math.Max(0, finished.Count - (int)limit)).Select(ObjectKeys.Name);
    }
}
