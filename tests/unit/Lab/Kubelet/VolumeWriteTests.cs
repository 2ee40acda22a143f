using System.Text;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

/// <summary>
/// Writing a volume's files into a real folder in the kubelet's atomic layout: a version folder behind a
/// <c>..data</c> link swapped whole, top-level names linked through it, modes kept, removed keys gone.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VolumeWriteTests : IDisposable
{
    private const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private readonly string _dir = Directory.CreateTempSubdirectory("k3slab-volume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_LinksEachTopLevelNameThroughData()
    {
        AtomicVolumeWriter.Write(_dir, [File("mode", "fast"), File("nested/level", "debug")]);

        var version = Link("..data");
        version.Should().MatchRegex(@"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d{9}$");
        Link("mode").Should().Be("..data/mode");
        Link("nested").Should().Be("..data/nested");
        Read("mode").Should().Be("fast");
        Read("nested/level").Should().Be("debug");
        System.IO.File.GetUnixFileMode(Path.Combine(_dir, version, "mode")).Should().Be(ReadOnly);
        Visible().Should().Equal("mode", "nested");
    }

    [Fact]
    public void Write_Again_SwapsTheWholeVersion_AndRemovesWhatIsNoLongerThere()
    {
        AtomicVolumeWriter.Write(_dir, [File("mode", "fast"), File("nested/level", "debug"), File("gone", "x")]);
        var first = Link("..data");

        AtomicVolumeWriter.Write(_dir, [File("mode", "slow"), File("nested/level", "info")]);

        var second = Link("..data");
        second.Should().NotBe(first);
        Directory.Exists(Path.Combine(_dir, first)).Should().BeFalse("the previous version is deleted once ..data points past it");
        Read("mode").Should().Be("slow");
        Read("nested/level").Should().Be("info");
        System.IO.File.ReadAllText(Path.Combine(_dir, second, "mode")).Should().Be("slow", "one version folder holds every key of one version");
        Visible().Should().Equal("mode", "nested");
        Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).Should().Equal(second, "..data", "mode", "nested");
    }

    [Fact]
    public void Write_Again_Unchanged_LeavesDataAlone_AndAModeChangeIsANewVersion()
    {
        AtomicVolumeWriter.Write(_dir, [File("same", "1"), File("edited", "a")]);
        var first = Link("..data");

        AtomicVolumeWriter.Write(_dir, [File("edited", "a"), File("same", "1")]);
        Link("..data").Should().Be(first, "a rewrite of the same payload must not wake a watcher of ..data");

        AtomicVolumeWriter.Write(_dir, [File("edited", "a"), new VolumeFile("same", Encoding.UTF8.GetBytes("1"), UnixFileMode.UserRead)]);
        Link("..data").Should().NotBe(first, "a mode is part of the payload");
        System.IO.File.GetUnixFileMode(Path.Combine(_dir, "same")).Should().Be(UnixFileMode.UserRead);
    }

    [Fact]
    public void Write_OverThePlainLayout_AndAnInterruptedWrite_CleansUp()
    {
        System.IO.File.WriteAllText(Path.Combine(_dir, "mode"), "written by an earlier agent");
        System.IO.File.WriteAllText(Path.Combine(_dir, "..mode.tmp"), "left by a crash");
        Directory.CreateDirectory(Path.Combine(_dir, "..2026_01_01_00_00_00.000000001"));
        System.IO.File.CreateSymbolicLink(Path.Combine(_dir, "..data_tmp"), "..2026_01_01_00_00_00.000000001");

        AtomicVolumeWriter.Write(_dir, [File("mode", "slow")]);

        Read("mode").Should().Be("slow");
        Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).Should().Equal(Link("..data"), "..data", "mode");
    }

    [Fact]
    public void Write_Nothing_EmptiesTheFolderButKeepsIt()
    {
        AtomicVolumeWriter.Write(_dir, [File("a", "1"), File("b/c", "2")]);

        AtomicVolumeWriter.Write(_dir, []);

        Directory.Exists(_dir).Should().BeTrue("the folder is what the container has mounted");
        Visible().Should().BeEmpty();
    }

    [Fact]
    public void Write_APathStartingWithDotDot_IsRefused()
    {
        var write = () => AtomicVolumeWriter.Write(_dir, [File("..data", "x")]);

        write.Should().Throw<FormatException>().WithMessage("*must not start with '..'*");
    }

    /// <summary>The names a container's <c>ls</c> shows (no hidden ones).</summary>
    private string[] Visible() =>
        [.. Directory.EnumerateFileSystemEntries(_dir).Select(p => Path.GetFileName(p)!).Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal)];

    private string Link(string name) => new FileInfo(Path.Combine(_dir, name)).LinkTarget ?? string.Empty;

    private string Read(string path) => System.IO.File.ReadAllText(Path.Combine(_dir, path));

    private static VolumeFile File(string path, string content) => new(path, Encoding.UTF8.GetBytes(content), ReadOnly);
}
