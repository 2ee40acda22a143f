namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>A directory of the node bind-mounted at <see cref="Target"/> in a container's private mount namespace.</summary>
internal sealed record VolumeMount(string Source, string Target, bool ReadOnly);
