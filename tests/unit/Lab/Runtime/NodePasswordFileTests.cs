using K3sLab.K3s.Agent;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class NodePasswordFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("k3slab-nodepw-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Ensure_FirstUse_Creates32HexOwnerOnly_AndLaterReadsTheSame()
    {
        var dataDir = new DataDir(Path.Combine(_dir.FullName, "data"));
        var path = Path.Combine(_dir.FullName, "etc", "password");

        var password = NodePasswordFile.Ensure(path, dataDir);

        password.Should().MatchRegex("^[0-9a-f]{32}$");
        File.ReadAllText(path).Should().Be(password + "\n");
        File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        NodePasswordFile.Ensure(path, dataDir).Should().Be(password);
    }

    [Fact]
    public void Ensure_ManyAgentsAtOnce_AllGetTheOnePasswordTheFileHolds()
    {
        var path = Path.Combine(_dir.FullName, "etc", "password");
        var passwords = new string[16];

        Parallel.For(0, passwords.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i => passwords[i] = NodePasswordFile.Ensure(path, new DataDir(Path.Combine(_dir.FullName, $"data{i}"))));

        passwords.Distinct().Should().ContainSingle();
        File.ReadAllText(path).Should().Be(passwords[0] + "\n");
    }

    [Fact]
    public void Ensure_LegacyFile_IsMovedToTheNewPath()
    {
        var dataDir = new DataDir(Path.Combine(_dir.FullName, "data"));
        Directory.CreateDirectory(dataDir.Agent);
        var legacy = Path.Combine(dataDir.Agent, "node-password.txt");
        File.WriteAllText(legacy, "0123456789abcdef\n");
        var path = Path.Combine(_dir.FullName, "etc", "password");

        NodePasswordFile.Ensure(path, dataDir).Should().Be("0123456789abcdef");

        File.Exists(legacy).Should().BeFalse();
        File.ReadAllText(path).Should().Be("0123456789abcdef\n");
    }
}
