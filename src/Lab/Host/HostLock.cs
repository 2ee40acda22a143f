namespace K3sLab.Lab.Host;

/// <summary>
/// An exclusive lock shared by every process on the host, held as an open lock file (.NET takes a flock on
/// FileShare.None). It guards the steps two callers must not run at once, such as publishing the runtime or
/// building an image. The kernel drops the lock when the holder dies, so a crash never leaves it held.
/// </summary>
internal static class HostLock
{
    public static async Task<IDisposable> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
    }
}
