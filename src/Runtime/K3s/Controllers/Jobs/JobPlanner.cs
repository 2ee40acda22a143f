using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Jobs;

/// <summary>
/// The Job controller's decisions (upstream's syncJob), pure. Finished pods are counted through
/// <c>status.uncountedTerminatedPods</c> and the tracking finalizer: a finished pod's uid is first recorded there,
/// then its finalizer removed, then it moves into succeeded/failed — so a pod deleted at any moment is counted
/// exactly once. Then: past backoffLimit (failed pods, or container restarts under OnFailure) or
/// activeDeadlineSeconds the Job fails (FailureTarget, then Failed once its pods are gone and counted); enough
/// successes complete it (SuccessCriteriaMet, then Complete); a suspended Job has no pods; otherwise pods are
/// created or deleted towards min(parallelism, remaining completions), new pods after failures waiting an
/// exponential backoff (10 s doubling, at most 6 min) as upstream.
/// </summary>
internal static class JobPlanner
{
    private static readonly TimeSpan BackoffBase = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BackoffMax = TimeSpan.FromMinutes(6);

    public static JobPlan Plan(JsonObject job, IEnumerable<JsonObject> ownedPods, DateTimeOffset now)
    {
        var spec = job.Obj("spec");
        var stored = job.Obj("status");
        var status = stored?.DeepClone() as JsonObject ?? [];
        var pods = ownedPods.OrderBy(ObjectKeys.Name, StringComparer.Ordinal).ToList();
        var completions = spec.Long("completions") is { } c ? (int?)c : null;
        var indexed = spec.Str("completionMode") == "Indexed" && completions is not null;
        var events = new List<JobEvent>();

        // Counting: settle what earlier syncs recorded, then record newly finished pods.
        var uncountedSucceeded = Uids(stored.Obj("uncountedTerminatedPods"), "succeeded");
        var uncountedFailed = Uids(stored.Obj("uncountedTerminatedPods"), "failed");
        var byUid = pods.GroupBy(ObjectKeys.Uid).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var succeeded = stored.Long("succeeded") ?? 0;
        var failed = stored.Long("failed") ?? 0;
        succeeded += uncountedSucceeded.RemoveAll(uid => !byUid.TryGetValue(uid, out var pod) || !JobPods.HasFinalizer(pod));
        failed += uncountedFailed.RemoveAll(uid => !byUid.TryGetValue(uid, out var pod) || !JobPods.HasFinalizer(pod));
        var completed = CompletedIndexes.Parse(stored.Str("completedIndexes"));
        var removeFinalizers = new List<string>();
        foreach (var pod in pods.Where(JobPods.HasFinalizer))
        {
            var outcome = JobPods.Outcome(pod);
            var uid = ObjectKeys.Uid(pod);
            if (outcome == "Succeeded")
            {
                if (!uncountedSucceeded.Contains(uid))
                {
                    uncountedSucceeded.Add(uid);
                }

                if (indexed && JobPods.Index(pod) is var index && index >= 0 && index < completions)
                {
                    completed.Add(index);
                }
            }
            else if (outcome == "Failed" && !uncountedFailed.Contains(uid))
            {
                uncountedFailed.Add(uid);
            }

            if (outcome is not null)
            {
                removeFinalizers.Add(ObjectKeys.Name(pod));
            }
        }

        var succeededTotal = indexed ? completed.Count : succeeded + uncountedSucceeded.Count;
        var failedTotal = failed + uncountedFailed.Count;
        var active = pods.Where(p => JobPods.Outcome(p) is null).ToList();
        var delete = new List<string>();
        var create = new List<int>();
        TimeSpan? requeue = null;

        if (!JobConditions.IsFinished(stored))
        {
            var suspended = spec.Bool("suspend") == true;
            var startTime = PodState.Time(stored.Str("startTime"));
            var failure = Failure(spec, stored, active, failedTotal, suspended, startTime, now);
            var success = failure is null && (JobConditions.IsTrue(stored, "SuccessCriteriaMet")
                || (completions is { } wanted ? succeededTotal >= wanted : succeededTotal > 0 && active.Count == 0));
            if (failure is { } why)
            {
                JobConditions.Set(status, "FailureTarget", "True", why.Reason, why.Message, now);
                delete.AddRange(active.Select(ObjectKeys.Name));
                active.Clear();
            }
            else if (success)
            {
                JobConditions.Set(status, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
                delete.AddRange(active.Select(ObjectKeys.Name));
                active.Clear();
            }
            else if (suspended)
            {
                if (!JobConditions.IsTrue(stored, "Suspended"))
                {
                    JobConditions.Set(status, "Suspended", "True", "JobSuspended", "Job suspended", now);
                    events.Add(new JobEvent("Normal", "Suspended", "Job suspended"));
                }

                delete.AddRange(active.Select(ObjectKeys.Name));
                active.Clear();
            }
            else
            {
                if (JobConditions.IsTrue(stored, "Suspended"))
                {
                    JobConditions.Set(status, "Suspended", "False", "JobResumed", "Job resumed", now);
                    events.Add(new JobEvent("Normal", "Resumed", "Job resumed"));
                    startTime = null;
                }

                startTime ??= now;
                status["startTime"] = PodState.Stamp(startTime.Value);
                requeue = Manage(spec, pods, active, completions, indexed, completed, succeededTotal, now, create, delete);
                if (spec.Long("activeDeadlineSeconds") is { } deadline)
                {
                    var left = startTime.Value.AddSeconds(deadline) - now;
                    requeue = requeue is { } r && r < left ? r : left;
                }
            }

            // The final condition waits until every pod is counted and none still runs.
            var settled = uncountedSucceeded.Count == 0 && uncountedFailed.Count == 0 && removeFinalizers.Count == 0 && active.Count == 0 && delete.Count == 0;
            if (settled && failure is { } failedWhy)
            {
                JobConditions.Set(status, "Failed", "True", failedWhy.Reason, failedWhy.Message, now);
                events.Add(new JobEvent("Warning", failedWhy.Reason, failedWhy.Message));
            }
            else if (settled && success)
            {
                JobConditions.Set(status, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
                status["completionTime"] = PodState.Stamp(now);
                events.Add(new JobEvent("Normal", "Completed", "Job completed"));
            }
        }
        else
        {
            delete.AddRange(active.Select(ObjectKeys.Name));
            active.Clear();
        }

        SetCount(status, "active", active.Count(p => !delete.Contains(ObjectKeys.Name(p))));
        SetCount(status, "succeeded", indexed ? completed.Count : succeeded);
        SetCount(status, "failed", failed);
        status["ready"] = active.Count(p => !delete.Contains(ObjectKeys.Name(p)) && PodState.IsReady(p));
        status["terminating"] = pods.Count(p => ObjectKeys.IsDeleting(p) && PodState.Phase(p) is not ("Succeeded" or "Failed"));
        var uncounted = new JsonObject();
        if (uncountedSucceeded.Count > 0)
        {
            uncounted["succeeded"] = new JsonArray([.. uncountedSucceeded.Select(u => (JsonNode)u)]);
        }

        if (uncountedFailed.Count > 0)
        {
            uncounted["failed"] = new JsonArray([.. uncountedFailed.Select(u => (JsonNode)u)]);
        }

        status["uncountedTerminatedPods"] = uncounted;
        if (indexed && completed.Count > 0)
        {
            status["completedIndexes"] = CompletedIndexes.Format(completed);
        }

        var changed = !JsonNode.DeepEquals(stored ?? [], status);
        return new JobPlan(status, changed, removeFinalizers, create, [.. delete.Distinct(StringComparer.Ordinal)], events, requeue);
    }

    /// <summary>When a finished Job may be deleted by the TTL-after-finished controller: finish time plus ttlSecondsAfterFinished; null when not due ever.</summary>
    public static DateTimeOffset? ExpiresAt(JsonObject job)
    {
        if (job.Obj("spec").Long("ttlSecondsAfterFinished") is not { } ttl || !JobConditions.IsFinished(job.Obj("status")))
        {
            return null;
        }

        var finished = PodState.Time(job.Obj("status").Str("completionTime"))
            ?? new[] { "Complete", "Failed" }.Select(t => JobConditions.Find(job.Obj("status"), t)).Where(cond => cond.Str("status") == "True")
                .Select(cond => PodState.Time(cond.Str("lastTransitionTime"))).OfType<DateTimeOffset>().FirstOrDefault();
        return finished is { } at && at != default ? at.AddSeconds(ttl) : null;
    }

    private static (string Reason, string Message)? Failure(JsonObject? spec, JsonObject? stored, List<JsonObject> active, long failedTotal, bool suspended, DateTimeOffset? startTime, DateTimeOffset now)
    {
        if (JobConditions.Find(stored, "FailureTarget") is { } target && target.Str("status") == "True")
        {
            return (target.Str("reason") ?? "BackoffLimitExceeded", target.Str("message") ?? string.Empty);
        }

        var backoffLimit = spec.Long("backoffLimit") ?? 6;
        if (failedTotal > backoffLimit)
        {
            return ("BackoffLimitExceeded", "Job has reached the specified backoff limit");
        }

        if (PodSpecRestartPolicy(spec) == "OnFailure")
        {
            var restarts = active.Where(p => PodState.Phase(p) is "Running" or "Pending").Sum(JobPods.Restarts);
            if (backoffLimit == 0 ? restarts > 0 : restarts >= backoffLimit)
            {
                return ("BackoffLimitExceeded", "Job has reached the specified backoff limit");
            }
        }

        if (!suspended && startTime is { } start && spec.Long("activeDeadlineSeconds") is { } deadline && start.AddSeconds(deadline) <= now)
        {
            return ("DeadlineExceeded", "Job was active longer than specified deadline");
        }

        return null;
    }

    private static TimeSpan? Manage(JsonObject? spec, List<JsonObject> pods, List<JsonObject> active, int? completions, bool indexed, SortedSet<int> completed, long succeededTotal, DateTimeOffset now, List<int> create, List<string> delete)
    {
        var parallelism = (int)(spec.Long("parallelism") ?? 1);
        var want = completions is { } total
            ? (int)Math.Clamp(total - succeededTotal, 0, parallelism)
            : succeededTotal > 0 ? Math.Min(active.Count, parallelism) : parallelism;
        if (active.Count > want)
        {
            // Not-ready pods go first, then the newest.
            delete.AddRange(active.OrderBy(PodState.IsReady).ThenByDescending(p => p.Obj("metadata").Str("creationTimestamp"), StringComparer.Ordinal)
                .Take(active.Count - want).Select(ObjectKeys.Name));
            return null;
        }

        var missing = want - active.Count;
        if (missing == 0)
        {
            return null;
        }

        var lastSuccess = pods.Where(p => JobPods.Outcome(p) == "Succeeded").Select(JobPods.FinishedAt).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
        var failures = pods.Where(p => JobPods.Outcome(p) == "Failed").Select(JobPods.FinishedAt).Where(t => t > lastSuccess).ToList();
        if (failures.Count > 0)
        {
            var delay = TimeSpan.FromTicks((long)Math.Min(BackoffMax.Ticks, BackoffBase.Ticks * Math.Pow(2, Math.Min(failures.Count - 1, 20))));
            var allowedAt = failures.Max() + delay;
            if (now < allowedAt)
            {
                return allowedAt - now;
            }
        }

        if (!indexed)
        {
            create.AddRange(Enumerable.Repeat(-1, missing));
            return null;
        }

        var running = active.Select(JobPods.Index).ToHashSet();
        create.AddRange(Enumerable.Range(0, completions!.Value).Where(i => !completed.Contains(i) && !running.Contains(i)).Take(missing));
        return null;
    }

    private static string PodSpecRestartPolicy(JsonObject? spec) => spec.Obj("template").Obj("spec").Str("restartPolicy") ?? "Always";

    private static List<string> Uids(JsonObject? uncounted, string field) =>
        [.. uncounted.Arr(field).Items().Select(i => JsonFields.AsString(i.Item)).OfType<string>()];

    private static void SetCount(JsonObject status, string field, long value)
    {
        if (value > 0)
        {
            status[field] = value;
        }
        else
        {
            status.Remove(field);
        }
    }
}
