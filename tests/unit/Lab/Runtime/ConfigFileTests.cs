using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Cli;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class ConfigFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("k3slab-config-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Expand_ScalarsListsAndSwitches_BecomeFlagsBeforeTheCommandLine()
    {
        var path = Write("config.yaml", "token: secret\nnode-label:\n  - a=1\n  - b=2\ncluster-init: true\n");

        var (args, warnings) = ConfigFile.Expand(K3sCommandLine.Build(), ["server", "--config", path, "--node-name", "n1"]);

        args.Should().Equal("server", "--token=secret", "--node-label=a=1", "--node-label=b=2", "--cluster-init=true", "--config", path, "--node-name", "n1");
        warnings.Should().BeEmpty();
    }

    [Fact]
    public void Expand_FlagOnTheCommandLine_WinsOverTheFile_ButPlusAppends()
    {
        var path = Write("config.yaml", "token: from-file\nnode-label+:\n  - c=3\n");

        var (args, _) = ConfigFile.Expand(K3sCommandLine.Build(), ["agent", "-c", path, "-t", "from-cli", "--node-label", "a=1"]);

        args.Should().NotContain("--token=from-file");
        args.Should().Contain("--node-label=c=3").And.Contain("from-cli");
    }

    [Fact]
    public void Expand_DropInFiles_OverrideInNameOrder()
    {
        var path = Write("config.yaml", "node-name: base\n");
        Directory.CreateDirectory(Path.Combine(_dir.FullName, "config.yaml.d"));
        Write("config.yaml.d/20-late.yaml", "node-name: late\n");
        Write("config.yaml.d/10-early.yaml", "node-name: early\n");

        var (args, _) = ConfigFile.Expand(K3sCommandLine.Build(), ["server", "--config", path]);

        args.Where(a => a.StartsWith("--node-name=", StringComparison.Ordinal)).Should().Equal("--node-name=late");
    }

    [Fact]
    public void Expand_UnknownKey_IsSkippedWithK3sWarning()
    {
        var path = Write("config.yaml", "flannel-backend: none\n");

        var (args, warnings) = ConfigFile.Expand(K3sCommandLine.Build(), ["agent", "--config", path]);

        args.Should().Equal("agent", "--config", path);
        warnings.Should().ContainSingle().Which.Should().Be($"Unknown flag --flannel-backend found in {path}, skipping");
    }

    [Fact]
    public void Expand_MissingNamedFileOrNotAMapping_IsOneSentence()
    {
        var missing = Path.Combine(_dir.FullName, "nope.yaml");
        var act = () => ConfigFile.Expand(K3sCommandLine.Build(), ["server", "--config", missing]);
        act.Should().Throw<BootstrapException>().WithMessage($"--config {missing}: the file does not exist");

        var list = Write("list.yaml", "- a\n- b\n");
        act = () => ConfigFile.Expand(K3sCommandLine.Build(), ["server", "--config", list]);
        act.Should().Throw<BootstrapException>().WithMessage("*must be a YAML mapping of flag names to values*");

        var broken = Write("broken.yaml", "token: [unclosed\n");
        act = () => ConfigFile.Expand(K3sCommandLine.Build(), ["server", "--config", broken]);
        act.Should().Throw<BootstrapException>().WithMessage("*is not valid YAML*");
    }

    [Fact]
    public void Expand_CommandWithoutConfig_IsUnchanged()
    {
        string[] args = ["--version"];
        ConfigFile.Expand(K3sCommandLine.Build(), args).Args.Should().BeSameAs(args);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }
}
