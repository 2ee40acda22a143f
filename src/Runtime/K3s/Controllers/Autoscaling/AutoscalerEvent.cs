namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>An event to record about the HPA, as the <c>horizontal-pod-autoscaler</c> component.</summary>
internal sealed record AutoscalerEvent(string Type, string Reason, string Message)
{
    public static AutoscalerEvent Warning(string reason, string message) => new("Warning", reason, message);

    public static AutoscalerEvent Normal(string reason, string message) => new("Normal", reason, message);
}
