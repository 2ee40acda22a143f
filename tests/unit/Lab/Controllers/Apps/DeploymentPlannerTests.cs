using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.Apps;

namespace K3sLab.Lab.Tests.Controllers.Apps;

[Trait("Category", "Unit")]
public sealed class DeploymentPlannerTests
{
    [Fact]
    public void Plan_NewDeployment_CreatesHashedReplicaSetAtFullSize()
    {
        var world = new DeploymentWorld(AppsObjects.Deployment(3));

        var plan = world.Step();

        var set = plan.Create!.ReplicaSet;
        var hash = PodTemplateHash.Of(AppsObjects.Template("pause"), null);
        ObjectKeys.Name(set).Should().Be($"web-{hash}");
        set["spec"]!["replicas"]!.GetValue<long>().Should().Be(3);
        set["spec"]!["selector"]!["matchLabels"]![PodTemplateHash.Label]!.GetValue<string>().Should().Be(hash);
        set["spec"]!["template"]!["metadata"]!["labels"]![PodTemplateHash.Label]!.GetValue<string>().Should().Be(hash);
        set["metadata"]!["labels"]![PodTemplateHash.Label]!.GetValue<string>().Should().Be(hash);
        ControllerRef.Of(set)!.Uid.Should().Be("d-uid");
        var annotations = set["metadata"]!["annotations"]!;
        annotations[DeploymentFacts.RevisionAnnotation]!.GetValue<string>().Should().Be("1");
        annotations[DeploymentFacts.DesiredReplicasAnnotation]!.GetValue<string>().Should().Be("3");
        annotations[DeploymentFacts.MaxReplicasAnnotation]!.GetValue<string>().Should().Be("4");
        plan.Create.Event.Should().Be($"Scaled up replica set web-{hash} from 0 to 3");
        plan.Revision.Should().Be("1");
        PodState.Condition(new JsonObject { ["status"] = plan.Status!.DeepClone() }, "Progressing")!["reason"]!.GetValue<string>().Should().Be("NewReplicaSetCreated");
    }

    [Fact]
    public void Plan_RolloutToCompletion_IsAvailableAndProgressedWithNoMoreWrites()
    {
        var world = new DeploymentWorld(AppsObjects.Deployment(10));

        world.RunToCompletion();

        var status = world.Deployment["status"]!;
        status["replicas"]!.GetValue<long>().Should().Be(10);
        status["updatedReplicas"]!.GetValue<long>().Should().Be(10);
        status["availableReplicas"]!.GetValue<long>().Should().Be(10);
        status["unavailableReplicas"]!.GetValue<long>().Should().Be(0);
        status["observedGeneration"]!.GetValue<long>().Should().Be(1);
        world.Condition("Available")!["reason"]!.GetValue<string>().Should().Be("MinimumReplicasAvailable");
        world.Condition("Progressing")!["reason"]!.GetValue<string>().Should().Be("NewReplicaSetAvailable");
    }

    [Theory]
    [InlineData(10, "25%", "25%", 3, 2)]
    [InlineData(10, 0, 1, 0, 1)]
    [InlineData(10, 1, 0, 1, 0)]
    [InlineData(5, "50%", "50%", 3, 2)]
    [InlineData(4, 0, "100%", 0, 4)]
    public void Plan_TemplateChange_RollsWithinSurgeAndUnavailability(long replicas, object surge, object unavailable, long expectedSurge, long expectedUnavailable)
    {
        var world = new DeploymentWorld(AppsObjects.Deployment(replicas, maxSurge: Node(surge), maxUnavailable: Node(unavailable)));
        world.RunToCompletion();
        DeploymentFacts.MaxSurge(world.Deployment).Should().Be(expectedSurge);
        DeploymentFacts.MaxUnavailable(world.Deployment).Should().Be(expectedUnavailable);

        world.ChangeTemplate("busybox");
        var steps = world.RunToCompletion(() =>
        {
            world.Total("spec").Should().BeLessThanOrEqualTo(replicas + expectedSurge, "the surge bounds the pods");
            world.Total("replicas").Should().BeLessThanOrEqualTo(replicas + expectedSurge, "the surge bounds the pods");
            world.Total("availableReplicas").Should().BeGreaterThanOrEqualTo(replicas - expectedUnavailable, "maxUnavailable bounds the unavailable pods");
        });

        steps.Should().BeGreaterThan(2);
        world.Sets.Should().HaveCount(2);
        var newSet = world.Sets.Single(s => DeploymentFacts.SameTemplate(s["spec"]!["template"]!.AsObject(), AppsObjects.Template("busybox")));
        DeploymentFacts.SpecReplicas(newSet).Should().Be(replicas);
        DeploymentFacts.Revision(newSet).Should().Be(2);
        world.Sets.Single(s => s != newSet)["spec"]!["replicas"]!.GetValue<long>().Should().Be(0);
        world.Condition("Progressing")!["reason"]!.GetValue<string>().Should().Be("NewReplicaSetAvailable");
        world.Events.Should().Contain(e => e.StartsWith("Scaled down replica set", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_UndoToAnEarlierTemplate_ReusesItsReplicaSetWithTheNextRevision()
    {
        var world = new DeploymentWorld(AppsObjects.Deployment(2));
        world.RunToCompletion();
        var first = ObjectKeys.Name(world.Sets[0]);
        world.ChangeTemplate("busybox");
        world.RunToCompletion();

        // kubectl rollout undo copies the old set's template back, hash label removed and creationTimestamp null.
        var template = DeploymentFacts.WithoutHash(world.Sets[0]["spec"]!["template"]!.AsObject());
        template["metadata"]!["creationTimestamp"] = null;
        world.ChangeTemplate("pause");
        world.Deployment["spec"]!["template"] = template;
        world.RunToCompletion();

        world.Sets.Should().HaveCount(2);
        var reused = world.Sets.Single(s => ObjectKeys.Name(s) == first);
        DeploymentFacts.SpecReplicas(reused).Should().Be(2);
        DeploymentFacts.Revision(reused).Should().Be(3);
        reused["metadata"]!["annotations"]![DeploymentFacts.RevisionHistoryAnnotation]!.GetValue<string>().Should().Be("1");
        world.Deployment["metadata"]!["annotations"]![DeploymentFacts.RevisionAnnotation]!.GetValue<string>().Should().Be("3");
    }

    [Fact]
    public void Plan_Recreate_ScalesOldToZeroAndWaitsForTheirPodsBeforeCreating()
    {
        var world = new DeploymentWorld(AppsObjects.Deployment(3, recreate: true));
        world.RunToCompletion();
        world.ChangeTemplate("busybox");

        var first = world.Step();
        first.Create.Should().BeNull("old pods still run");
        first.Updates.Should().ContainSingle().Which.ReplicaSet["spec"]!["replicas"]!.GetValue<long>().Should().Be(0);

        // The old set's pods are still terminating: its status still counts them.
        world.Step().Create.Should().BeNull();
        world.PodsProgress();
        var third = world.Step();

        third.Create!.ReplicaSet["spec"]!["replicas"]!.GetValue<long>().Should().Be(3);
        world.RunToCompletion();
        world.Condition("Progressing")!["reason"]!.GetValue<string>().Should().Be("NewReplicaSetAvailable");
    }

    [Fact]
    public void Plan_CompleteWithOldRevisionsBeyondTheLimit_DeletesTheOldestEmptyOnes()
    {
        var world = new DeploymentWorld(AppsObjects.Deployment(1, revisionHistoryLimit: 2));
        foreach (var image in new[] { "a", "b", "c", "d", "e" })
        {
            world.ChangeTemplate(image);
            world.RunToCompletion();
        }

        world.Sets.Select(DeploymentFacts.Revision).Order().Should().Equal(3, 4, 5);
        world.Sets.Single(s => DeploymentFacts.Revision(s) == 5)["spec"]!["replicas"]!.GetValue<long>().Should().Be(1);
    }

    [Fact]
    public void Plan_ScaledMidRollout_SplitsTheNewSizeProportionally()
    {
        var world = new DeploymentWorld(AppsObjects.Deployment(10));
        world.RunToCompletion();
        world.ChangeTemplate("busybox");
        world.Step();
        world.Total("spec").Should().Be(11, "the new set surged by 3 and the old one gave up the 2 pods maxUnavailable allows");

        world.Scale(20);
        var plan = world.Step();

        world.Total("spec").Should().Be(25, "20 replicas + 25% surge");
        var sizes = world.Sets.OrderBy(DeploymentFacts.Created).Select(DeploymentFacts.SpecReplicas).ToList();
        // 14 more: the old set 8 * 25/13 = 15 and the new 3 * 25/13 = 6; the 4 left over go to the biggest set.
        sizes.Should().Equal(19, 6);
        plan.Updates.Should().OnlyContain(u => u.ReplicaSet["metadata"]!["annotations"]![DeploymentFacts.DesiredReplicasAnnotation]!.GetValue<string>() == "20");
        world.RunToCompletion();
        world.Total("spec").Should().Be(20);
    }

    [Fact]
    public void Plan_Paused_ScalesButDoesNotRoll()
    {
        var world = new DeploymentWorld(AppsObjects.Deployment(2));
        world.RunToCompletion();
        world.Deployment["spec"]!["paused"] = true;
        world.ChangeTemplate("busybox");
        world.Scale(4);

        world.RunToCompletion();

        world.Sets.Should().ContainSingle().Which["spec"]!["replicas"]!.GetValue<long>().Should().Be(4);
        world.Condition("Progressing")!["reason"]!.GetValue<string>().Should().Be("DeploymentPaused");
    }

    [Fact]
    public void Plan_NoProgressPastTheDeadline_ReportsProgressDeadlineExceeded()
    {
        var world = new DeploymentWorld(AppsObjects.Deployment(2));
        var plan = world.Step();
        plan.RequeueAfter.Should().Be(TimeSpan.FromSeconds(601));

        // The pods never start: nothing moves for longer than progressDeadlineSeconds.
        world.Now = AppsObjects.Epoch.AddSeconds(601);
        world.Step();

        var progressing = world.Condition("Progressing")!;
        progressing["status"]!.GetValue<string>().Should().Be("False");
        progressing["reason"]!.GetValue<string>().Should().Be("ProgressDeadlineExceeded");
        world.Condition("Available")!["status"]!.GetValue<string>().Should().Be("False");
    }

    [Fact]
    public void Plan_EmptySelector_OnlyWarnsAndObservesTheGeneration()
    {
        var deployment = AppsObjects.Deployment(1);
        deployment["spec"]!["selector"] = new JsonObject();

        var plan = DeploymentPlanner.Plan(new DeploymentInputs(deployment, [], [], AppsObjects.Epoch));

        plan.Create.Should().BeNull();
        plan.Events.Should().ContainSingle().Which.Reason.Should().Be("SelectorOverride");
        plan.Status!["observedGeneration"]!.GetValue<long>().Should().Be(1);
    }

    private static JsonNode? Node(object value) => value switch
    {
        string text => JsonValue.Create(text),
        int number => JsonValue.Create(number),
        _ => null,
    };
}
