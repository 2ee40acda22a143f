namespace K3sLab.K3s.Kubelet.Pods;

// The pod's resolv.conf, written before its containers start.
internal sealed partial class PodWorker
{
    /// <summary>Set once a node without a private mount namespace was logged: the probe is the process's, so is the note.</summary>
    private static int _noMountNamespaceLogged;

    /// <summary>The pod's resolv.conf, a file of the node mounted in each container; null: they keep the node's.</summary>
    private string? _resolvConf;

    /// <summary>
    /// On a node with cluster DNS, forms the pod's resolver configuration (<see cref="PodDns"/>) from the node's
    /// <see cref="KubeletSettings.ResolvConf"/> and writes it to <c>&lt;agent&gt;/pods/&lt;uid&gt;/resolv.conf</c>, which
    /// every container of the pod then gets at <c>/etc/resolv.conf</c>, as the runtime mounts the sandbox's file;
    /// warnings become the kubelet's Warning events on the pod. On a node that cannot give a container a mount
    /// namespace of its own, or when the file cannot be written, the pod keeps the node's file and still starts.
    /// </summary>
    private void PrepareResolvConf()
    {
        if (_settings.ClusterDns is not { } clusterDns)
        {
            return;
        }

        if (_runtime.MountNamespaceRefusal is { } refusal)
        {
            if (Interlocked.Exchange(ref _noMountNamespaceLogged, 1) == 0)
            {
                Log.ResolvConfNotMounted(_logger, refusal);
            }

            return;
        }

        var config = PodDns.Form(_pod, ReadNodeResolvConf(), clusterDns, _settings.ClusterDomain);
        foreach (var warning in config.Warnings)
        {
            Log.DnsWarning(_logger, Namespace, Name, warning.Reason, warning.Message);
            PodEvent(Warning, warning.Reason, warning.Message);
        }

        var file = Path.Combine(_volumes.PodDirectory(Uid), "resolv.conf");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, config.Text);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            _resolvConf = file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.ResolvConfFailed(_logger, Namespace, Name, file, e.Message);
        }
    }

    /// <summary>The node's resolv.conf; a missing one is empty, as is one that cannot be read (logged).</summary>
    private string ReadNodeResolvConf()
    {
        try
        {
            return File.ReadAllText(_settings.ResolvConf);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return string.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.NodeResolvConfUnreadable(_logger, Namespace, Name, _settings.ResolvConf, e.Message);
            return string.Empty;
        }
    }
}
