using System.Text;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

/// <summary>Writing a volume's files into a real folder: whole files with their modes, and a rewrite drops removed keys.</summary>
[Trait("Category", "Integration")]
public sealed class VolumeWriteTests : IDisposable
{
    private const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private readonly string _dir = Directory.CreateTempSubdirectory("k3slab-volume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_Again_RemovesTheFilesAndFoldersOfKeysNoLongerThere()
    {
        PodVolumes.Write(_dir, [File("mode", "fast"), File("nested/level", "debug"), File("nested/deeper/x", "1")]);
        System.IO.File.WriteAllText(Path.Combine(_dir, "..mode.tmp"), "left by a crash");

        PodVolumes.Write(_dir, [File("mode", "slow"), File("nested/level", "info")]);

        Directory.EnumerateFileSystemEntries(_dir, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(_dir, p)).Order(StringComparer.Ordinal)
            .Should().Equal("mode", "nested", "nested/level");
        System.IO.File.ReadAllText(Path.Combine(_dir, "mode")).Should().Be("slow");
        System.IO.File.ReadAllText(Path.Combine(_dir, "nested", "level")).Should().Be("info");
        System.IO.File.GetUnixFileMode(Path.Combine(_dir, "mode")).Should().Be(ReadOnly);
    }

    [Fact]
    public void Write_Again_LeavesAnUnchangedFileAlone_AndReplacesAChangedOne()
    {
        PodVolumes.Write(_dir, [File("same", "1"), File("edited", "a")]);
        var same = Inode("same");
        var edited = Inode("edited");

        PodVolumes.Write(_dir, [File("same", "1"), File("edited", "b")]);

        Inode("same").Should().Be(same, "a rewrite must not wake a watcher of an unchanged key");
        Inode("edited").Should().NotBe(edited, "a changed key is renamed into place whole");
        System.IO.File.ReadAllText(Path.Combine(_dir, "edited")).Should().Be("b");
    }

    [Fact]
    public void Write_Nothing_EmptiesTheFolderButKeepsIt()
    {
        PodVolumes.Write(_dir, [File("a", "1"), File("b/c", "2")]);

        PodVolumes.Write(_dir, []);

        Directory.Exists(_dir).Should().BeTrue("the folder is what the container has mounted");
        Directory.EnumerateFileSystemEntries(_dir).Should().BeEmpty();
    }

    /// <summary>The file's inode number (<c>stat -c %i</c>): a rename into place gives a new one.</summary>
    private string Inode(string name)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", Path.Combine(_dir, name)]) { RedirectStandardOutput = true })!;
        var inode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return inode;
    }

    private static VolumeFile File(string path, string content) => new(path, Encoding.UTF8.GetBytes(content), ReadOnly);
}
