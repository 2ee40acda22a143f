namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// kube-scheduler's default scheduler: binds every pending pod that names no other scheduler to a node chosen by
/// <see cref="PodPlacement"/>, through <c>pods/binding</c> as <c>system:kube-scheduler</c>. Each run (one term of
/// leadership) starts from the caches afresh in a new <see cref="SchedulerSession"/>.
/// </summary>
internal sealed class SchedulerController : IController
{
    public string Name => "scheduler";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        var session = new SchedulerSession(context, context.Loggers.CreateLogger("k3s.scheduler"));
        await session.RunAsync(ct);
    }
}
