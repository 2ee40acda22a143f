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
        var stale = path + ".0badf00d.tmp";
        File.WriteAllText(stale, "half-written");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddMinutes(-10));
        var another = path + ".12345678.tmp";
        File.WriteAllText(another, "a writer in progress");

        AtomicFile.Write(path, "K10abc::server:pw\n");

        File.ReadAllText(path).Should().Be("K10abc::server:pw\n");
        File.GetUnixFileMode(path).Should().Be(AtomicFile.OwnerOnly);
        File.Exists(stale).Should().BeFalse("a temporary left by a crash minutes ago is removed");
        File.Exists(another).Should().BeTrue("a temporary written a moment ago belongs to a writer still at work");
    }

    [Fact]
    public void TryCreate_ExistingFile_KeepsItsContent()
    {
        var path = Path.Combine(_dir.FullName, "password");

        AtomicFile.TryCreate(path, "first\n").Should().BeTrue();
        AtomicFile.TryCreate(path, "second\n").Should().BeFalse();

        File.ReadAllText(path).Should().Be("first\n");
        Directory.GetFiles(_dir.FullName).Should().ContainSingle("the losing writer's temporary is gone");
    }
}
