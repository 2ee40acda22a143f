using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Defaults;

/// <summary>
/// The selector kube-apiserver generates for a new Job (the job strategy's generateSelector): unless
/// <c>spec.manualSelector</c> is true, the pod template is labelled with the Job's uid and name (both the
/// <c>batch.kubernetes.io/</c> labels and the legacy <c>controller-uid</c>/<c>job-name</c>) and <c>spec.selector</c>
/// becomes <c>batch.kubernetes.io/controller-uid=&lt;uid&gt;</c>, so a Job only ever selects its own pods. Runs once
/// the uid and name are set.
/// </summary>
internal static class JobSelectors
{
    public const string ControllerUid = "batch.kubernetes.io/controller-uid";
    public const string JobName = "batch.kubernetes.io/job-name";

    public static void Generate(JsonObject job)
    {
        if (job["spec"] is not JsonObject spec || spec["manualSelector"]?.GetValue<bool>() == true)
        {
            return;
        }

        var uid = job["metadata"]?["uid"]?.GetValue<string>() ?? string.Empty;
        var name = job["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
        var template = Json.Child(spec, "template");
        var metadata = Json.Child(template, "metadata");
        var labels = Json.Child(metadata, "labels");
        labels[ControllerUid] = uid;
        labels[JobName] = name;
        labels["controller-uid"] = uid;
        labels["job-name"] = name;
        spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { [ControllerUid] = uid } };
    }
}
