namespace K3sLab.K3s.ApiServer.Components;

/// <summary>
/// One component's <c>Healthy</c> condition as kube-apiserver's componentstatus registry reports it: status
/// <c>True</c> with message <c>ok</c>, or <c>False</c> with the reason in the message (a component that does not
/// answer, as an HTTP probe reports a refused connection) or in the error (a datastore check that failed).
/// </summary>
internal sealed record ComponentCondition(bool Healthy, string Message, string Error)
{
    public static ComponentCondition Ok { get; } = new(true, "ok", string.Empty);

    public static ComponentCondition NotAnswering(string why) => new(false, why, string.Empty);

    public static ComponentCondition Failed(string error) => new(false, string.Empty, error);
}
