using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.Election;

namespace K3sLab.K3s.Cli;

/// <summary>
/// Reads <c>--kube-controller-manager-arg</c> and <c>--kube-scheduler-arg</c> (<c>key=value</c>, leading dashes
/// optional). The flags this build honours are applied; any other is named in a warning and ignored, so k3s
/// configs still start; a bad value of an honoured flag stops the server with the flag named.
/// </summary>
internal static class ComponentArgs
{
    public static ControllerSettings Apply(ControllerSettings settings, string[] controllerManagerArgs, string[] schedulerArgs, ILogger logger)
    {
        var cm = settings.ControllerManagerElection;
        foreach (var (arg, key, value) in Split(controllerManagerArgs))
        {
            switch (key)
            {
                case "node-monitor-grace-period":
                    settings = settings with { NodeMonitorGracePeriod = Duration("--kube-controller-manager-arg", arg, value) };
                    break;
                case "node-monitor-period":
                    settings = settings with { NodeMonitorPeriod = Duration("--kube-controller-manager-arg", arg, value) };
                    break;
                case "leader-elect-lease-duration" or "leader-elect-renew-deadline" or "leader-elect-retry-period":
                    cm = Election(cm, key, Duration("--kube-controller-manager-arg", arg, value));
                    break;
                case "controllers":
                    settings = settings with { Selection = Selection(arg, value) };
                    break;
                default:
                    RuntimeLogging.Ignored(logger, $"--kube-controller-manager-arg {arg}: this build does not support the kube-controller-manager flag {key}; ignored");
                    break;
            }
        }

        var scheduler = settings.SchedulerElection;
        foreach (var (arg, key, value) in Split(schedulerArgs))
        {
            if (key is "leader-elect-lease-duration" or "leader-elect-renew-deadline" or "leader-elect-retry-period")
            {
                scheduler = Election(scheduler, key, Duration("--kube-scheduler-arg", arg, value));
            }
            else
            {
                RuntimeLogging.Ignored(logger, $"--kube-scheduler-arg {arg}: this build does not support the kube-scheduler flag {key}; ignored");
            }
        }

        Check("--kube-controller-manager-arg", cm);
        Check("--kube-scheduler-arg", scheduler);
        return settings with { ControllerManagerElection = cm, SchedulerElection = scheduler };
    }

    private static IEnumerable<(string Arg, string Key, string Value)> Split(string[] args) =>
        args.Select(arg => arg.TrimStart('-').Split('=', 2) is [var k, var v] ? (arg, k, v) : (arg, arg.TrimStart('-'), string.Empty));

    private static LeaderElectionSettings Election(LeaderElectionSettings settings, string key, TimeSpan value) => key switch
    {
        "leader-elect-lease-duration" => settings with { LeaseDuration = value },
        "leader-elect-renew-deadline" => settings with { RenewDeadline = value },
        _ => settings with { RetryPeriod = value },
    };

    private static void Check(string flag, LeaderElectionSettings settings)
    {
        if (settings.RenewDeadline >= settings.LeaseDuration || settings.RetryPeriod >= settings.RenewDeadline)
        {
            throw new BootstrapException($"{flag}: leader election needs retry-period < renew-deadline < lease-duration (got {settings.RetryPeriod.TotalSeconds}s, {settings.RenewDeadline.TotalSeconds}s, {settings.LeaseDuration.TotalSeconds}s)");
        }
    }

    private static ControllerSelection Selection(string arg, string value)
    {
        try
        {
            return ControllerSelection.Parse(value);
        }
        catch (FormatException e)
        {
            throw new BootstrapException($"--kube-controller-manager-arg {arg}: {e.Message}");
        }
    }

    private static TimeSpan Duration(string flag, string arg, string value) =>
        GoDuration.TryParse(value, out var duration) && duration > TimeSpan.Zero
            ? duration
            : throw new BootstrapException($"{flag} {arg}: {value} is not a positive duration such as 40s or 1m");
}
