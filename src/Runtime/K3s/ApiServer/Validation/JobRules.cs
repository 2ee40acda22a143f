using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// Jobs and CronJobs (<c>validateJobSpec</c>, <c>ValidateCronJobSpec</c>): counts and deadlines are not negative,
/// the completion mode and concurrency policy are known values, the pod template is valid and its restart policy
/// is OnFailure or Never (the defaulted Always is "Required"). Not checked: the generated selector and labels (created
/// by <see cref="Resources.Defaults.JobSelectors"/>, never refused), pod failure and success policies, schedule syntax
/// and time zones.
/// </summary>
internal static class JobRules
{
    public static void Job(JsonObject? spec, FieldErrorList errors) => JobSpec(spec, "spec", errors);

    public static void CronJob(JsonObject? spec, FieldErrorList errors)
    {
        if (string.IsNullOrEmpty(spec.Str("schedule")))
        {
            errors.Required("spec.schedule");
        }

        errors.NonNegative("spec.startingDeadlineSeconds", spec.Long("startingDeadlineSeconds"));
        if (spec.Str("concurrencyPolicy") is { Length: > 0 } policy && policy is not ("Allow" or "Forbid" or "Replace"))
        {
            errors.NotSupported("spec.concurrencyPolicy", policy, "Allow", "Forbid", "Replace");
        }

        JobSpec(spec.Obj("jobTemplate").Obj("spec"), "spec.jobTemplate.spec", errors);
        errors.NonNegative("spec.successfulJobsHistoryLimit", spec.Long("successfulJobsHistoryLimit"));
        errors.NonNegative("spec.failedJobsHistoryLimit", spec.Long("failedJobsHistoryLimit"));
    }

    private static void JobSpec(JsonObject? spec, string path, FieldErrorList errors)
    {
        foreach (var field in new[] { "parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished" })
        {
            errors.NonNegative($"{path}.{field}", spec.Long(field));
        }

        if (spec.Str("completionMode") is { } mode && mode is not ("NonIndexed" or "Indexed"))
        {
            errors.NotSupported($"{path}.completionMode", mode, "NonIndexed", "Indexed");
        }

        var template = spec.Obj("template");
        PodSpecRules.TemplateSpec(template, $"{path}.template", errors);
        var restartPolicy = PodSpecRules.RestartPolicy(template);
        if (restartPolicy == "Always")
        {
            errors.Required($"{path}.template.spec.restartPolicy", "valid values: \"OnFailure\", \"Never\"");
        }
        else if (restartPolicy is not ("OnFailure" or "Never"))
        {
            errors.NotSupported($"{path}.template.spec.restartPolicy", restartPolicy, "OnFailure", "Never");
        }
    }
}
