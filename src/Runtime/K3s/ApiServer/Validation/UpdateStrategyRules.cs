using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// The update strategies of Deployments and DaemonSets: known types, no rolling parameters for Recreate, and
/// rolling bounds that are non-negative integers or percents of at most 100%, not both zero (nor, for DaemonSets,
/// both non-zero). An unknown type prints the strategy struct as Go does.
/// </summary>
internal static class UpdateStrategyRules
{
    public static void Deployment(JsonObject? strategy, FieldErrorList errors)
    {
        switch (strategy.Str("type"))
        {
            case null or "":
                break;
            case "Recreate":
                if (strategy.Has("rollingUpdate"))
                {
                    errors.Forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
                }

                break;
            case "RollingUpdate":
                if (strategy.Obj("rollingUpdate") is { } rolling)
                {
                    var (maxUnavailable, maxSurge) = (rolling["maxUnavailable"], rolling["maxSurge"]);
                    IntOrPercent.Positive(maxUnavailable, "spec.strategy.rollingUpdate.maxUnavailable", errors);
                    IntOrPercent.Positive(maxSurge, "spec.strategy.rollingUpdate.maxSurge", errors);
                    if (IntOrPercent.Value(maxUnavailable) == 0 && IntOrPercent.Value(maxSurge) == 0)
                    {
                        errors.Invalid("spec.strategy.rollingUpdate.maxUnavailable", GoValue.IntOrString(maxUnavailable), "may not be 0 when `maxSurge` is 0");
                    }

                    IntOrPercent.NotMoreThan100Percent(maxUnavailable, "spec.strategy.rollingUpdate.maxUnavailable", errors);
                }

                break;
            default:
                errors.NotSupported("spec.strategy", GoValue.Strategy("apps.DeploymentStrategy", strategy, "apps.RollingUpdateDeployment"), "Recreate", "RollingUpdate");
                break;
        }
    }

    public static void DaemonSet(JsonObject? strategy, FieldErrorList errors)
    {
        switch (strategy.Str("type"))
        {
            case null or "" or "OnDelete":
                break;
            case "RollingUpdate":
                if (strategy.Obj("rollingUpdate") is not { } rolling)
                {
                    errors.Required("spec.updateStrategy.rollingUpdate");
                    break;
                }

                var (maxUnavailable, maxSurge) = (rolling["maxUnavailable"], rolling["maxSurge"]);
                const string At = "spec.updateStrategy.rollingUpdate";
                IntOrPercent.Positive(maxUnavailable, $"{At}.maxUnavailable", errors);
                IntOrPercent.Positive(maxSurge, $"{At}.maxSurge", errors);
                IntOrPercent.NotMoreThan100Percent(maxUnavailable, $"{At}.maxUnavailable", errors);
                IntOrPercent.NotMoreThan100Percent(maxSurge, $"{At}.maxSurge", errors);
                var (hasUnavailable, hasSurge) = (IntOrPercent.Value(maxUnavailable) != 0, IntOrPercent.Value(maxSurge) != 0);
                if (hasUnavailable && hasSurge)
                {
                    errors.Invalid($"{At}.maxSurge", GoValue.IntOrString(maxSurge), "may not be set when maxUnavailable is non-zero");
                }
                else if (!hasUnavailable && !hasSurge)
                {
                    errors.Required($"{At}.maxUnavailable", "cannot be 0 when maxSurge is 0");
                }

                break;
            default:
                errors.NotSupported("spec.updateStrategy", GoValue.Strategy("apps.DaemonSetUpdateStrategy", strategy, "apps.RollingUpdateDaemonSet"), "RollingUpdate", "OnDelete");
                break;
        }
    }
}
