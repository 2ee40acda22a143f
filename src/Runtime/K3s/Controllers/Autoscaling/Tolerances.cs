namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// How far below and above 1 a usage ratio may be before the replica count changes (upstream's <c>Tolerances</c>):
/// the flag's value both ways unless a scaling rule's <c>tolerance</c> sets its own.
/// </summary>
internal readonly record struct Tolerances(double ScaleDown, double ScaleUp)
{
    public bool IsWithin(double usageRatio) => 1.0 - ScaleDown <= usageRatio && usageRatio <= 1.0 + ScaleUp;
}
