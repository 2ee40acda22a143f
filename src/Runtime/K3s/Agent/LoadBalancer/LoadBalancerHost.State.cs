namespace K3sLab.K3s.Agent.LoadBalancer;

internal sealed partial class LoadBalancerHost
{
    private readonly Lock _fileGate = new();

    /// <summary>The list the state file last held; guarded by <see cref="_fileGate"/>.</summary>
    private string[]? _saved;

    /// <summary>
    /// Sets the default and the saved list, if the file is usable. Anything wrong with the file (missing, unreadable,
    /// malformed, written for another <c>--server</c>, no usable address) costs one log line and nothing else: the
    /// balancer then starts from the default alone and learns the list again from the server (k3s#11349).
    /// </summary>
    private void Restore()
    {
        IReadOnlyList<string> saved;
        string? ignored;
        try
        {
            (saved, ignored) = LoadBalancerStateFile.Load(_options.StateFile, _options.ServerUrl);
        }
        catch (Exception e)
        {
            // Belt and braces: whatever the file holds, it must never keep the agent from starting.
            (saved, ignored) = ([], $"{_options.StateFile} could not be read ({e.Message}); starting from the default server");
        }

        if (ignored is not null)
        {
            Log.StateFileIgnored(_logger, _options.ServiceName, ignored);
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _servers.SetDefault(_options.DefaultServer, now);
            if (saved.Count > 0)
            {
                _addresses = [.. saved.Order(StringComparer.Ordinal)];
                _servers.SetAddresses(_addresses, now);
            }
        }

        lock (_fileGate)
        {
            _saved = saved.Count > 0 ? _addresses : null;
        }
    }

    /// <summary>
    /// Writes the current list atomically if it differs from the file. The list is read under the file lock, so
    /// when two updates race the last write carries the newest list. A failed write is logged and tolerated: the
    /// file is only a head start after a restart.
    /// </summary>
    private void Save()
    {
        lock (_fileGate)
        {
            string[] addresses;
            lock (_gate)
            {
                addresses = _addresses;
            }

            if (_saved is not null && _saved.AsSpan().SequenceEqual(addresses))
            {
                return;
            }

            try
            {
                LoadBalancerStateFile.Save(_options.StateFile, _options.ServerUrl, addresses);
                _saved = addresses;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.SaveFailed(_logger, _options.StateFile, e.Message);
            }
        }
    }
}
