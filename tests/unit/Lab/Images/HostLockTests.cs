using K3sLab.Lab.Host;

namespace K3sLab.Lab.Tests.Images;

[Trait("Category", "Integration")]
public sealed class HostLockTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("k3slab-lock-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task AcquireAsync_SecondCallerWaitsUntilFirstReleases()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir.FullName, "sub", "x.lock");
        var first = await HostLock.AcquireAsync(path, ct);

        var second = HostLock.AcquireAsync(path, ct);
        using (var probe = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            var blocked = () => HostLock.AcquireAsync(path, probe.Token);
            await blocked.Should().ThrowAsync<OperationCanceledException>("the lock is held");
        }

        second.IsCompleted.Should().BeFalse();
        first.Dispose();
        using var acquired = await second.WaitAsync(TimeSpan.FromSeconds(30), ct);
        acquired.Should().NotBeNull();
    }
}
