namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>The runtime could not start a container's process; the message is what <c>StartError</c> shows.</summary>
internal sealed class ContainerStartException(string message) : Exception(message);
