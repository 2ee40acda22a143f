using System.Diagnostics;
using System.Net;
using System.Text;

namespace K3sLab.Perf.AgentLb;

/// <summary>
/// One <c>k3s server</c> or <c>k3s agent</c> process of the failover benchmark, on its own loopback address with a
/// data folder that outlives the process, so it can be killed with SIGKILL and started again from the same arguments.
/// Its output is kept for the transitions the agent's load balancer logs and for error messages.
/// </summary>
internal sealed class NodeUnderTest : IAsyncDisposable
{
    private readonly string _executable;
    private readonly string[] _arguments;
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _log = new();
    private Process? _process;

    public NodeUnderTest(string name, IPAddress address, string executable, string[] arguments, Dictionary<string, string>? environment = null)
    {
        Name = name;
        Address = address;
        _executable = executable;
        _arguments = arguments;
        _environment = environment ?? [];
    }

    public string Name { get; }

    public IPAddress Address { get; }

    public bool IsRunning => _process is { HasExited: false };

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public void Start()
    {
        var start = new ProcessStartInfo(_executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("K3S_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        foreach (var argument in _arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process?.Dispose();
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
