using K3sLab.Lab.Images;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Tests.Datastores;

[Trait("Category", "Unit")]
public sealed class NodeFilesTests
{
    [Fact]
    public async Task Archive_ThenRead_GivesTheSameFilesPathsAndModes()
    {
        NodeFile[] files =
        [
            NodeFile.Text("/etc/k3slab/etcd/ca.crt", "ca"),
            NodeFile.Text("/etc/k3slab/etcd/member.key", "secret", NodeFile.Secret),
        ];

        using var archive = NodeFiles.Archive(files);
        var read = await NodeFiles.ReadAsync(archive, "/", TestContext.Current.CancellationToken);

        read.Select(f => (f.Path, System.Text.Encoding.UTF8.GetString(f.Content), f.Mode)).Should().Equal(
            ("/etc/k3slab/etcd/ca.crt", "ca", NodeFile.Readable),
            ("/etc/k3slab/etcd/member.key", "secret", NodeFile.Secret));
    }

    [Fact]
    public void Archive_RelativePath_IsRefused()
    {
        var archive = () => NodeFiles.Archive([NodeFile.Text("etc/x", "x")]);

        archive.Should().Throw<ArgumentException>().WithMessage("a node file path is absolute: 'etc/x'*");
    }

    [Fact]
    public void DatastoreRecipe_AddsEtcdAndPostgresToTheBasePackages_WithoutChangingTheNodeBase()
    {
        var datastore = BaseImageRecipe.Datastore;

        datastore.Packages.Should().StartWith(BaseImageRecipe.Default.Packages).And.EndWith(["etcd-server", "postgresql"]);
        datastore.Image.Should().StartWith("k3slab/datastore:").And.NotEndWith(BaseImageRecipe.Default.Hash);
        BaseImageRecipe.Default.Image.Should().StartWith("k3slab/base:");
        BaseImageRecipe.Default.Canonical.Should().Be("debootstrap --variant=minbase bookworm +iptables,iproute2,ca-certificates,procps,etcd-client,conntrack r1", "the node base image changes only on purpose");
        datastore.Check.Should().Contain("etcd --version").And.Contain("postgres --version");
    }
}
