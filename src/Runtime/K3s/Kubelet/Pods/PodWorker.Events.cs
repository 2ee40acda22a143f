namespace K3sLab.K3s.Kubelet.Pods;

// The events the kubelet records about its pods, shown by kubectl describe pod.
internal sealed partial class PodWorker
{
    /// <summary>The component the kubelet's events come from, as <c>source.component</c> and <c>reportingComponent</c>.</summary>
    public const string Component = "kubelet";

    private const string Normal = "Normal";
    private const string Warning = "Warning";

    /// <summary>An event about the pod as a whole (no field path).</summary>
    private void PodEvent(string type, string reason, string message) =>
        _events.Record(_pod, "v1", "Pod", Component, type, reason, message);

    /// <summary>
    /// An event about one container, named by its field path (<c>spec.containers{app}</c>,
    /// <c>spec.initContainers{setup}</c>) as the kubelet's container events are.
    /// </summary>
    private void ContainerEvent(ContainerRecord record, string type, string reason, string message) =>
        _events.Record(_pod, "v1", "Pod", Component, type, reason, message, $"spec.{(record.Init ? "initContainers" : "containers")}{{{record.Name}}}");
}
