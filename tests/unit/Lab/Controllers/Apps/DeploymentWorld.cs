using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.Apps;

namespace K3sLab.Lab.Tests.Controllers.Apps;

/// <summary>
/// A pretend cluster for the deployment planner: applies each plan as the API server would (creates get a uid and a
/// later creationTimestamp, updates replace), and stands in for the ReplicaSet controller and the kubelet by moving
/// each set's status toward its spec: pods appear at once, become available one step later, and leave at once.
/// </summary>
internal sealed class DeploymentWorld(JsonObject deployment)
{
    private int _created;

    public JsonObject Deployment { get; private set; } = deployment;

    public List<JsonObject> Sets { get; } = [];

    public DateTimeOffset Now { get; set; } = AppsObjects.Epoch;

    public List<string> Events { get; } = [];

    public DeploymentPlan Step()
    {
        var plan = DeploymentPlanner.Plan(new DeploymentInputs(Deployment, Sets, [], Now));
        Apply(plan);
        return plan;
    }

    public void Apply(DeploymentPlan plan)
    {
        if (plan.Create is { } create)
        {
            var set = create.ReplicaSet.DeepClone().AsObject();
            set["metadata"]!["uid"] = $"rs-{++_created}";
            set["metadata"]!["creationTimestamp"] = AppsObjects.Stamp(AppsObjects.Epoch.AddMinutes(_created));
            set["metadata"]!["generation"] = 1;
            Sets.Add(set);
            Record(create.Event);
        }

        foreach (var update in plan.Updates)
        {
            var index = Sets.FindIndex(s => ObjectKeys.Name(s) == ObjectKeys.Name(update.ReplicaSet));
            Sets[index] = update.ReplicaSet.DeepClone().AsObject();
            Record(update.Event);
        }

        Sets.RemoveAll(s => plan.Deletes.Any(d => ObjectKeys.Name(d) == ObjectKeys.Name(s)));
        if (plan.Revision is { } revision)
        {
            Deployment = Deployment.DeepClone().AsObject();
            (Deployment["metadata"]!["annotations"] ??= new JsonObject())[DeploymentFacts.RevisionAnnotation] = revision;
        }

        if (plan.Status is { } status)
        {
            Deployment = Deployment.DeepClone().AsObject();
            Deployment["status"] = status.DeepClone();
        }
    }

    /// <summary>Pods catch up with one step: the ready ones become available, new ones are created unready, surplus ones go; returns whether anything moved.</summary>
    public bool PodsProgress()
    {
        var moved = false;
        foreach (var set in Sets)
        {
            var spec = DeploymentFacts.SpecReplicas(set);
            var available = Math.Min(DeploymentFacts.Status(set, "replicas"), spec);
            var status = new JsonObject
            {
                ["replicas"] = spec,
                ["readyReplicas"] = available,
                ["availableReplicas"] = available,
                ["observedGeneration"] = 1,
            };
            moved |= !JsonNode.DeepEquals(status, set["status"]);
            set["status"] = status;
        }

        return moved;
    }

    public void ChangeTemplate(string image)
    {
        Deployment = Deployment.DeepClone().AsObject();
        Deployment["spec"]!["template"] = AppsObjects.Template(image);
        Deployment["metadata"]!["generation"] = ObjectKeys.Generation(Deployment) + 1;
    }

    public void Scale(long replicas)
    {
        Deployment = Deployment.DeepClone().AsObject();
        Deployment["spec"]!["replicas"] = replicas;
        Deployment["metadata"]!["generation"] = ObjectKeys.Generation(Deployment) + 1;
    }

    public long Total(string field) => Sets.Sum(s => field == "spec" ? DeploymentFacts.SpecReplicas(s) : DeploymentFacts.Status(s, field));

    public JsonObject? Condition(string type) => PodState.Condition(Deployment, type);

    /// <summary>Steps (planner, then pods) until neither a plan nor the pods change anything; fails after <paramref name="max"/> steps.</summary>
    public int RunToCompletion(Action? checkEachStep = null, int max = 100)
    {
        for (var step = 1; step <= max; step++)
        {
            var plan = Step();
            checkEachStep?.Invoke();
            var moved = PodsProgress();
            checkEachStep?.Invoke();
            if (!moved && plan.Create is null && plan.Updates.Count == 0 && plan.Deletes.Count == 0 && plan.Status is null)
            {
                return step;
            }
        }

        throw new InvalidOperationException($"no steady state after {max} steps");
    }

    private void Record(string? message)
    {
        if (message is not null)
        {
            Events.Add(message);
        }
    }
}
