using K3sLab.Lab;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Tests.Support;

/// <summary>
/// Makes the node image ready once per test assembly (publishing the runtime, starting Docker and building images
/// only when needed; after ./test.sh or ./k3slab build this is a few look-ups) and turns off the Testcontainers
/// reaper, whose image cannot be pulled on these machines.
/// </summary>
public sealed class NodeImageFixture : IAsyncLifetime
{
    public string Image { get; private set; } = string.Empty;

    public async ValueTask InitializeAsync()
    {
        Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        Image = await LabPrerequisites.EnsureNodeImageAsync(NullLogger.Instance, timeout.Token);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
