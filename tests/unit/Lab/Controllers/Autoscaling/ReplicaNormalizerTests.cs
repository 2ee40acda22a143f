using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Autoscaling;
using static K3sLab.Lab.Tests.Controllers.Autoscaling.HpaFixtures;

namespace K3sLab.Lab.Tests.Controllers.Autoscaling;

/// <summary>Stabilization windows, scaling policies and min/max limits, with and without <c>spec.behavior</c>.</summary>
[Trait("Category", "Unit")]
public sealed class ReplicaNormalizerTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    [Fact]
    public void Normalize_WithoutBehavior_HoldsTheHighestRecommendationOfTheDownscaleWindow()
    {
        var history = History((10, Now.AddMinutes(-1)));
        var conditions = new JsonArray();

        var desired = ReplicaNormalizer.Normalize(conditions, history, Window, 10, 4, 1, 20, Now);

        desired.Should().Be(10);
        Reason(conditions, HpaConditions.AbleToScale).Should().Be("ScaleDownStabilized");
        history.Recommendations.Should().Contain(new TimestampedRecommendation(4, Now));
    }

    [Fact]
    public void Normalize_WithoutBehavior_ForgetsRecommendationsOlderThanTheWindowAndReusesTheirSlot()
    {
        var history = History((10, Now.AddMinutes(-6)));
        var conditions = new JsonArray();

        var desired = ReplicaNormalizer.Normalize(conditions, history, Window, 10, 4, 1, 20, Now);

        desired.Should().Be(4);
        Reason(conditions, HpaConditions.AbleToScale).Should().Be("ReadyForNewScale");
        history.Recommendations.Should().Equal(new TimestampedRecommendation(4, Now));
    }

    [Theory]
    [InlineData(3, 6)]
    [InlineData(1, 4)]
    public void Normalize_WithoutBehavior_LimitsScaleUpToTwiceTheCurrentCountOrFour(int current, int expected)
    {
        var conditions = new JsonArray();

        var desired = ReplicaNormalizer.Normalize(conditions, new AutoscalerHistory(), Window, current, 50, 1, 100, Now);

        desired.Should().Be(expected);
        Reason(conditions, HpaConditions.ScalingLimited).Should().Be("ScaleUpLimit");
        Status(conditions, HpaConditions.ScalingLimited).Should().Be("True");
    }

    [Fact]
    public void Normalize_AboveMax_IsTooManyReplicas()
    {
        var conditions = new JsonArray();

        var desired = ReplicaNormalizer.Normalize(conditions, new AutoscalerHistory(), Window, 10, 15, 1, 12, Now);

        desired.Should().Be(12);
        Reason(conditions, HpaConditions.ScalingLimited).Should().Be("TooManyReplicas");
        Message(conditions, HpaConditions.ScalingLimited).Should().Be("the desired replica count is more than the maximum replica count");
    }

    [Fact]
    public void Normalize_BelowMin_IsTooFewReplicas()
    {
        var conditions = new JsonArray();

        var desired = ReplicaNormalizer.Normalize(conditions, new AutoscalerHistory(), Window, 3, 1, 2, 12, Now);

        desired.Should().Be(2);
        Reason(conditions, HpaConditions.ScalingLimited).Should().Be("TooFewReplicas");
        Message(conditions, HpaConditions.ScalingLimited).Should().Be("the desired replica count is less than the minimum replica count");
    }

    [Fact]
    public void Normalize_InRange_IsDesiredWithinRangeAndNotLimited()
    {
        var conditions = new JsonArray();

        var desired = ReplicaNormalizer.Normalize(conditions, new AutoscalerHistory(), Window, 3, 5, 1, 12, Now);

        desired.Should().Be(5);
        Reason(conditions, HpaConditions.ScalingLimited).Should().Be("DesiredWithinRange");
        Status(conditions, HpaConditions.ScalingLimited).Should().Be("False");
        Message(conditions, HpaConditions.ScalingLimited).Should().Be("the desired count is within the acceptable range");
    }

    [Fact]
    public void ScaleUpLimit_DefaultRules_AllowTheLargerOfFourPodsOrDoubling()
    {
        var rules = ScalingRules.ScaleUp(new JsonObject());

        ReplicaNormalizer.ScaleUpLimit(10, [], [], rules, Now).Should().Be(20);
        ReplicaNormalizer.ScaleUpLimit(2, [], [], rules, Now).Should().Be(6);
    }

    [Fact]
    public void ScaleUpLimit_CountsScaleUpsWithinThePolicyPeriod()
    {
        var rules = ScalingRules.ScaleUp(new JsonObject());
        ScaleEvent[] ups = [new(5, Now.AddSeconds(-10), false)];

        ReplicaNormalizer.ScaleUpLimit(10, ups, [], rules, Now).Should().Be(10, "the period began at 5 replicas: max(5 + 4, 5 × 2)");
    }

    [Fact]
    public void ScaleUpLimit_IgnoresScaleUpsOlderThanThePeriod()
    {
        var rules = ScalingRules.ScaleUp(new JsonObject());
        ScaleEvent[] ups = [new(5, Now.AddSeconds(-15), false)];

        ReplicaNormalizer.ScaleUpLimit(10, ups, [], rules, Now).Should().Be(20);
    }

    [Fact]
    public void ScaleUpLimit_SelectPolicyMin_TakesTheSmallestChange()
    {
        var rules = ScalingRules.ScaleUp(new JsonObject { ["scaleUp"] = new JsonObject { ["selectPolicy"] = "Min" } });

        ReplicaNormalizer.ScaleUpLimit(10, [], [], rules, Now).Should().Be(14);
    }

    [Fact]
    public void ScaleUpLimit_Percent_RoundsUp()
    {
        var rules = ScalingRules.ScaleUp(Policies("scaleUp", ("Percent", 50, 60)));

        ReplicaNormalizer.ScaleUpLimit(3, [], [], rules, Now).Should().Be(5);
    }

    [Fact]
    public void ScaleDownLimit_Percent_RoundsDown()
    {
        var rules = ScalingRules.ScaleDown(Policies("scaleDown", ("Percent", 50, 60)), Window);

        ReplicaNormalizer.ScaleDownLimit(3, [], [], rules, Now).Should().Be(1);
    }

    [Fact]
    public void ScaleDownLimit_CountsScaleDownsWithinThePeriod()
    {
        var rules = ScalingRules.ScaleDown(Policies("scaleDown", ("Pods", 2, 60)), Window);
        ScaleEvent[] downs = [new(2, Now.AddSeconds(-30), false)];

        ReplicaNormalizer.ScaleDownLimit(8, [], downs, rules, Now).Should().Be(8, "the period began at 10 and 2 pods were already removed");
    }

    [Fact]
    public void ScaleDownLimit_SelectPolicyMin_TakesTheSmallestChange()
    {
        var behavior = Policies("scaleDown", ("Pods", 1, 60), ("Percent", 50, 60));
        ((JsonObject)behavior["scaleDown"]!)["selectPolicy"] = "Min";
        var rules = ScalingRules.ScaleDown(behavior, Window);

        ReplicaNormalizer.ScaleDownLimit(10, [], [], rules, Now).Should().Be(9);
    }

    [Fact]
    public void NormalizeWithBehaviors_ScaleDownPolicy_LimitsTheStep()
    {
        var behavior = Policies("scaleDown", ("Pods", 1, 60));
        ((JsonObject)behavior["scaleDown"]!)["stabilizationWindowSeconds"] = 0;
        var conditions = new JsonArray();

        var desired = Normalize(behavior, new AutoscalerHistory(), conditions, current: 10, proposed: 2);

        desired.Should().Be(9);
        Reason(conditions, HpaConditions.ScalingLimited).Should().Be("ScaleDownLimit");
        Message(conditions, HpaConditions.ScalingLimited).Should().Be("the desired replica count is decreasing faster than the maximum scale rate");
    }

    [Fact]
    public void NormalizeWithBehaviors_ScaleUpPolicy_LimitsTheStep()
    {
        var conditions = new JsonArray();

        var desired = Normalize(new JsonObject(), new AutoscalerHistory(), conditions, current: 10, proposed: 50);

        desired.Should().Be(20);
        Reason(conditions, HpaConditions.ScalingLimited).Should().Be("ScaleUpLimit");
    }

    [Fact]
    public void NormalizeWithBehaviors_ScaleUpDisabled_KeepsTheCurrentCount()
    {
        var conditions = new JsonArray();

        var desired = Normalize(new JsonObject { ["scaleUp"] = new JsonObject { ["selectPolicy"] = "Disabled" } }, new AutoscalerHistory(), conditions, current: 4, proposed: 8);

        desired.Should().Be(4);
    }

    [Fact]
    public void NormalizeWithBehaviors_DefaultScaleDownWindow_HoldsTheHighestRecentRecommendation()
    {
        var conditions = new JsonArray();

        var desired = Normalize(new JsonObject(), History((10, Now.AddSeconds(-100))), conditions, current: 10, proposed: 4);

        desired.Should().Be(10);
        Reason(conditions, HpaConditions.AbleToScale).Should().Be("ScaleDownStabilized");
        Message(conditions, HpaConditions.AbleToScale).Should().Be("recent recommendations were higher than current one, applying the highest recent recommendation");
    }

    [Fact]
    public void NormalizeWithBehaviors_ZeroScaleDownWindow_ScalesDownAtOnce()
    {
        var conditions = new JsonArray();
        var behavior = new JsonObject { ["scaleDown"] = new JsonObject { ["stabilizationWindowSeconds"] = 0 } };

        var desired = Normalize(behavior, History((10, Now.AddSeconds(-100))), conditions, current: 10, proposed: 4);

        desired.Should().Be(4);
        Reason(conditions, HpaConditions.AbleToScale).Should().Be("ReadyForNewScale");
    }

    [Fact]
    public void NormalizeWithBehaviors_ScaleUpWindow_HoldsTheLowestRecentRecommendation()
    {
        var conditions = new JsonArray();
        var behavior = new JsonObject { ["scaleUp"] = new JsonObject { ["stabilizationWindowSeconds"] = 60 } };

        var desired = Normalize(behavior, History((3, Now.AddSeconds(-30))), conditions, current: 3, proposed: 8);

        desired.Should().Be(3);
        Reason(conditions, HpaConditions.AbleToScale).Should().Be("ScaleUpStabilized");
        Message(conditions, HpaConditions.AbleToScale).Should().Be("recent recommendations were lower than current one, applying the lowest recent recommendation");
    }

    [Fact]
    public void NormalizeWithBehaviors_ScaleUpWindow_LetsTheLowestRecentRecommendationThrough()
    {
        var conditions = new JsonArray();
        var behavior = new JsonObject { ["scaleUp"] = new JsonObject { ["stabilizationWindowSeconds"] = 60 } };

        var desired = Normalize(behavior, History((6, Now.AddSeconds(-30)), (7, Now.AddSeconds(-20))), conditions, current: 3, proposed: 8);

        desired.Should().Be(6);
    }

    [Fact]
    public void NormalizeWithBehaviors_BelowMin_IsTooFewReplicas()
    {
        var conditions = new JsonArray();
        var behavior = new JsonObject { ["scaleDown"] = new JsonObject { ["stabilizationWindowSeconds"] = 0 } };

        var desired = ReplicaNormalizer.NormalizeWithBehaviors(conditions, new AutoscalerHistory(), ScalingRules.ScaleUp(behavior), ScalingRules.ScaleDown(behavior, Window), 5, 1, 3, 10, Now);

        desired.Should().Be(3);
        Reason(conditions, HpaConditions.ScalingLimited).Should().Be("TooFewReplicas");
    }

    [Fact]
    public void ScalingRules_Defaults_AreTheV2Defaults()
    {
        var up = ScalingRules.ScaleUp(null);
        var down = ScalingRules.ScaleDown(null, Window);

        up.StabilizationWindowSeconds.Should().Be(0);
        up.SelectPolicy.Should().Be("Max");
        up.Policies.Should().Equal(new ScalingPolicy("Pods", 4, 15), new ScalingPolicy("Percent", 100, 15));
        down.StabilizationWindowSeconds.Should().Be(300);
        down.Policies.Should().Equal(new ScalingPolicy("Percent", 100, 15));
    }

    [Fact]
    public void RecordScale_WithoutBehavior_KeepsNothing()
    {
        var history = new AutoscalerHistory();

        ReplicaNormalizer.RecordScale(history, null, null, 2, 5, Now);

        history.ScaleUps.Should().BeEmpty();
    }

    [Fact]
    public void RecordScale_ReusesTheSlotOfAnEventOlderThanTheLongestPeriod()
    {
        var history = new AutoscalerHistory();
        history.ScaleDowns.Add(new ScaleEvent(3, Now.AddSeconds(-100), false));
        history.ScaleDowns.Add(new ScaleEvent(1, Now.AddSeconds(-5), false));
        var up = ScalingRules.ScaleUp(null);
        var down = ScalingRules.ScaleDown(null, Window);

        ReplicaNormalizer.RecordScale(history, up, down, 8, 6, Now);

        history.ScaleDowns.Should().Equal(new ScaleEvent(2, Now, false), new ScaleEvent(1, Now.AddSeconds(-5), false));
    }

    private static int Normalize(JsonObject behavior, AutoscalerHistory history, JsonArray conditions, int current, int proposed) =>
        ReplicaNormalizer.NormalizeWithBehaviors(conditions, history, ScalingRules.ScaleUp(behavior), ScalingRules.ScaleDown(behavior, Window), current, proposed, 1, 100, Now);

    private static AutoscalerHistory History(params (int Replicas, DateTimeOffset At)[] recommendations)
    {
        var history = new AutoscalerHistory();
        history.Recommendations.AddRange(recommendations.Select(r => new TimestampedRecommendation(r.Replicas, r.At)));
        return history;
    }

    private static JsonObject Policies(string direction, params (string Type, int Value, int Period)[] policies) => new()
    {
        [direction] = new JsonObject
        {
            ["policies"] = new JsonArray([.. policies.Select(p => (JsonNode)new JsonObject { ["type"] = p.Type, ["value"] = p.Value, ["periodSeconds"] = p.Period })]),
        },
    };

    private static JsonObject Find(JsonArray conditions, string type) => conditions.OfType<JsonObject>().Single(c => c["type"]!.GetValue<string>() == type);

    private static string Reason(JsonArray conditions, string type) => Find(conditions, type)["reason"]!.GetValue<string>();

    private static string Message(JsonArray conditions, string type) => Find(conditions, type)["message"]!.GetValue<string>();

    private static string Status(JsonArray conditions, string type) => Find(conditions, type)["status"]!.GetValue<string>();
}
