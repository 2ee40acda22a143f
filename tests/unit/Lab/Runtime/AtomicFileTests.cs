using K3sLab.K3s.Bootstrap;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Integration")]
public sealed class AtomicFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("k3slab-atomic-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Write_RequestedMode_HoldsExactlyAndReplacesOldContent()
    {
        var path = Path.Combine(_dir.FullName, "nested", "k3s.yaml");
        AtomicFile.Write(path, "old");

        AtomicFile.Write(path, "new", AtomicFile.WorldReadable);

        File.ReadAllText(path).Should().Be("new");
        File.GetUnixFileMode(path).Should().Be(AtomicFile.WorldReadable);
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().ContainSingle("no temporary file is left behind");
    }

    [Fact]
    public void Write_StaleTemporaryFromACrash_IsReplaced()
    {
        var path = Path.Combine(_dir.FullName, "token");
        File.WriteAllText(path + ".tmp", "half-written");

        AtomicFile.Write(path, "K10abc::server:pw\n");

        File.ReadAllText(path).Should().Be("K10abc::server:pw\n");
        File.GetUnixFileMode(path).Should().Be(AtomicFile.OwnerOnly);
        File.Exists(path + ".tmp").Should().BeFalse();
    }
}
