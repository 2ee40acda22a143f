using System.Net.Sockets;
using Grpc.Core;
using K3sLab.K3s.Store.Etcd;

namespace K3sLab.Lab.Tests.Datastore.Etcd;

[Trait("Category", "Unit")]
public sealed class EtcdStartupFailureTests
{
    private static readonly Uri Https = new("https://127.0.0.1:2379");
    private static readonly Uri Http = new("http://127.0.0.1:2379");

    [Fact]
    public void Explain_CertificateRejected_IsPermanentAndSaysWhy()
    {
        var failure = EtcdStartupFailure.Explain(Https, "https://127.0.0.1:2379", "the member's certificate (CN=etcd) is not signed by the --datastore-cafile CA", clientCertificate: true, StatusCode.Unavailable, "Error starting gRPC call.", null);

        failure.Permanent.Should().BeTrue();
        failure.Reason.Should().Contain("not signed by the --datastore-cafile CA");
    }

    [Fact]
    public void Explain_ConnectionRefused_IsWorthWaitingFor()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:2379)", new SocketException((int)SocketError.ConnectionRefused));

        var failure = EtcdStartupFailure.Explain(Http, "http://127.0.0.1:2379", null, clientCertificate: false, StatusCode.Unavailable, "Error starting gRPC call.", refused);

        failure.Permanent.Should().BeFalse();
        failure.Reason.Should().StartWith("unreachable");
    }

    [Theory]
    [InlineData(false, "requires a client certificate")]
    [InlineData(true, "does not accept the --datastore-certfile client certificate")]
    public void Explain_DroppedAfterTlsHandshake_NamesTheClientCertificate(bool clientCertificate, string expected)
    {
        var dropped = new HttpRequestException("An error occurred while sending the request.", new IOException("An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake."));

        var failure = EtcdStartupFailure.Explain(Https, "https://127.0.0.1:2379", null, clientCertificate, StatusCode.Unavailable, "Error starting gRPC call.", dropped);

        failure.Permanent.Should().BeTrue();
        failure.Reason.Should().Contain(expected);
    }

    [Fact]
    public void Explain_HttpAgainstTlsMember_SaysUseHttps()
    {
        var garbled = new HttpRequestException(HttpRequestError.InvalidResponse, "The server returned an invalid or unrecognized response.");

        var failure = EtcdStartupFailure.Explain(Http, "http://127.0.0.1:2379", null, clientCertificate: false, StatusCode.Unavailable, "Error starting gRPC call.", garbled);

        failure.Permanent.Should().BeTrue();
        failure.Reason.Should().Contain("use https://");
    }
}
