using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Etcd;

namespace K3sLab.Lab.Tests.Datastore.Etcd;

[Trait("Category", "Unit")]
public sealed class EtcdEndpointListTests
{
    [Fact]
    public void Parse_CommaSeparatedMixedSchemes_KeepsFlagOrder()
    {
        var list = EtcdEndpointList.Parse("https://10.0.0.1:2379, http://10.0.0.2:2379,https://[fd00::3]:2379");

        list.Endpoints.Select(e => e.ToString()).Should().Equal("https://10.0.0.1:2379/", "http://10.0.0.2:2379/", "https://[fd00::3]:2379/");
        list.Describe().Should().Be("https://10.0.0.1:2379,http://10.0.0.2:2379,https://[fd00::3]:2379");
        list.AnyTls.Should().BeTrue();
    }

    [Theory]
    [InlineData("https://10.0.0.1", "names no port")]
    [InlineData("tcp://10.0.0.1:2379", "use http:// or https://")]
    [InlineData("https://10.0.0.1:2379/registry", "has a path or query")]
    [InlineData("https://10.0.0.1:2379,https://10.0.0.1:2379", "names an etcd endpoint twice")]
    [InlineData(" , ", "names no etcd endpoint")]
    [InlineData("10.0.0.1:2379", "is not a URL such as https://10.0.0.1:2379")]
    public void Parse_BadEndpoint_RefusesNamingTheProblem(string value, string expected)
    {
        var parse = () => EtcdEndpointList.Parse(value);

        parse.Should().Throw<StoreException>().Which.Message.Should().Contain(expected);
    }

    [Fact]
    public void Parse_EndpointWithPassword_RefusesWithPasswordRedacted()
    {
        var parse = () => EtcdEndpointList.Parse("https://root:s3cret@10.0.0.1:2379");

        var message = parse.Should().Throw<StoreException>().Which.Message;
        message.Should().Contain("https://root:***@10.0.0.1:2379").And.Contain("client certificate").And.NotContain("s3cret");
    }

    [Theory]
    [InlineData("https://user:pw@host:2379", "https://user:***@host:2379")]
    [InlineData("https://user@host:2379", "https://user@host:2379")]
    [InlineData("http://a:b@h1:1,https://c:d:e@h2:2", "http://a:***@h1:1,https://c:***@h2:2")]
    [InlineData("not a url at all", "not a url at all")]
    [InlineData("https://host:2379", "https://host:2379")]
    public void Redact_Text_HidesEveryPassword(string text, string expected)
    {
        EtcdEndpointList.Redact(text).Should().Be(expected);
    }

    [Fact]
    public void Redact_UriWithPassword_HidesIt()
    {
        EtcdEndpointList.Redact(new Uri("https://user:pw@10.0.0.9:2379")).Should().Be("https://user:***@10.0.0.9:2379");
    }
}
