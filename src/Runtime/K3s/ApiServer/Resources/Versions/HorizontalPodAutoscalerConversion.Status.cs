using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Versions;

/// <summary>
/// The behavior and the conditions in their annotation forms. kube marshals its internal behavior type, which has no
/// JSON tags, so the annotation carries Go's field names with every unset pointer as <c>null</c>
/// (<c>{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods",...}],"Tolerance":null},"ScaleDown":null}</c>);
/// reading it back, Go's decoder matches names ignoring case and a behavior with neither direction counts as none.
/// Conditions have the same fields in v1 and v2; v1's always writes <c>lastTransitionTime</c>, as <c>null</c> when unset.
/// </summary>
internal static partial class HorizontalPodAutoscalerConversion
{
    private static JsonObject BehaviorToInternal(JsonObject behavior) => new()
    {
        ["ScaleUp"] = RulesToInternal(behavior["scaleUp"] as JsonObject),
        ["ScaleDown"] = RulesToInternal(behavior["scaleDown"] as JsonObject),
    };

    private static JsonObject? RulesToInternal(JsonObject? rules) => rules is null ? null : new JsonObject
    {
        ["StabilizationWindowSeconds"] = rules["stabilizationWindowSeconds"]?.DeepClone(),
        ["SelectPolicy"] = rules["selectPolicy"]?.DeepClone(),
        ["Policies"] = rules["policies"] is JsonArray policies
            ? new JsonArray([.. Objects(policies).Select(p => new JsonObject
            {
                ["Type"] = Str(p, "type") ?? string.Empty,
                ["Value"] = p["value"]?.DeepClone() ?? 0,
                ["PeriodSeconds"] = p["periodSeconds"]?.DeepClone() ?? 0,
            })])
            : null,
        ["Tolerance"] = rules["tolerance"]?.DeepClone(),
    };

    /// <summary>The v2 behavior an annotation holds, or null when it sets neither direction.</summary>
    private static JsonObject? BehaviorFromInternal(JsonObject behavior)
    {
        var scaleUp = Get(behavior, "ScaleUp") as JsonObject;
        var scaleDown = Get(behavior, "ScaleDown") as JsonObject;
        if (scaleUp is null && scaleDown is null)
        {
            return null;
        }

        var result = new JsonObject();
        Put(result, "scaleUp", scaleUp is null ? null : RulesFromInternal(scaleUp));
        Put(result, "scaleDown", scaleDown is null ? null : RulesFromInternal(scaleDown));
        return result;
    }

    private static JsonObject RulesFromInternal(JsonObject rules)
    {
        var result = new JsonObject();
        Put(result, "stabilizationWindowSeconds", Get(rules, "StabilizationWindowSeconds"));
        Put(result, "selectPolicy", Get(rules, "SelectPolicy"));
        if (Get(rules, "Policies") is JsonArray policies)
        {
            result["policies"] = new JsonArray([.. Objects(policies).Select(p => new JsonObject
            {
                ["type"] = Str(p, "Type") ?? string.Empty,
                ["value"] = Get(p, "Value")?.DeepClone() ?? 0,
                ["periodSeconds"] = Get(p, "PeriodSeconds")?.DeepClone() ?? 0,
            })]);
        }

        Put(result, "tolerance", Get(rules, "Tolerance"));
        return result;
    }

    private static JsonObject ConditionToV1(JsonObject condition)
    {
        var result = new JsonObject
        {
            ["type"] = Str(condition, "type") ?? string.Empty,
            ["status"] = Str(condition, "status") ?? string.Empty,
            ["lastTransitionTime"] = condition["lastTransitionTime"]?.DeepClone(),
        };
        Put(result, "reason", condition["reason"]);
        Put(result, "message", condition["message"]);
        return result;
    }

    private static JsonObject ConditionToV2(JsonObject condition)
    {
        var result = new JsonObject
        {
            ["type"] = Str(condition, "type") ?? string.Empty,
            ["status"] = Str(condition, "status") ?? string.Empty,
        };
        Put(result, "lastTransitionTime", Get(condition, "lastTransitionTime"));
        Put(result, "reason", Get(condition, "reason"));
        Put(result, "message", Get(condition, "message"));
        return result;
    }
}
