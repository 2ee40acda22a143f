using System.Text.Json.Nodes;
using Google.Protobuf;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Protobuf;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>Bodies built field by field as client-go's generated marshallers write them, decoded to kube's JSON.</summary>
[Trait("Category", "Unit")]
public sealed class ProtobufBodyTests
{
    [Fact]
    public void Deployment_KeepsPointerZeros_DropsEmptyScalars_AndReadsNestedTypes()
    {
        var httpGet = Message((1, "/healthz"), (2, IntOrString(1, 0, "http")));
        var probe = Message((1, Message((2, httpGet))), (2, 5L));
        var container = Message(
            (1, "app"), (2, "busybox"),
            (6, Message((3, 8080L))),
            (8, Message((2, Entry("cpu", Message((1, "250m")))))),
            (10, probe));
        var spec = Message(
            (1, 0L),
            (2, Message((1, Entry("app", "web")))),
            (3, Message((1, Message((11, Entry("app", "web")))), (2, Message((2, container))))),
            (4, Message()),
            (5, 0L));
        var meta = Message((1, "web"), (2, ""), (3, "dev"), (8, Message((1, 1764540000L))), (11, Entry("app", "web")));

        var json = ProtobufBody.Decode(Envelope("apps/v1", "Deployment", Message((1, meta), (2, spec), (3, Message()))));

        json.ToJsonString().Should().Be(JsonNode.Parse("""
            {"kind":"Deployment","apiVersion":"apps/v1",
             "metadata":{"name":"web","namespace":"dev","creationTimestamp":"2025-11-30T22:00:00Z","labels":{"app":"web"}},
             "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"}},
                     "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"busybox",
                        "ports":[{"containerPort":8080}],"resources":{"requests":{"cpu":"250m"}},
                        "livenessProbe":{"httpGet":{"path":"/healthz","port":"http"},"initialDelaySeconds":5}}]}},
                     "strategy":{}},
             "status":{}}
            """)!.ToJsonString());
    }

    [Fact]
    public void Secret_BytesBecomeBase64_AndZeroTimesBecomeNull()
    {
        var meta = Message((1, "s"), (8, Message()));
        var json = ProtobufBody.Decode(Envelope("v1", "Secret", Message((1, meta), (2, Entry("p", new byte[] { 0xff, 0x00 })), (3, "Opaque"))));

        json.ToJsonString().Should().Be("""{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","creationTimestamp":null},"data":{"p":"/wA="},"type":"Opaque"}""");
    }

    [Fact]
    public void AccessReview_KeepsAllowedFalse_AndSkipsUnknownFields()
    {
        var attributes = Message((1, "dev"), (2, "list"), (5, "pods"), (99, "from a newer client"));
        var json = ProtobufBody.Decode(Envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", Message((2, Message((1, attributes))), (3, Message((1, false))))));

        json["spec"]!.ToJsonString().Should().Be("""{"resourceAttributes":{"namespace":"dev","verb":"list","resource":"pods"}}""");
        json["status"]!.ToJsonString().Should().Be("""{"allowed":false}""");
    }

    [Fact]
    public void HorizontalPodAutoscaler_DecodesByItsVersion_V2MetricsAndV1TargetPercentage()
    {
        var meta = Message((1, "web"), (3, "dev"));
        var target = Message((1, "Deployment"), (2, "web"), (3, "apps/v1"));
        var metric = Message((1, "Resource"), (4, Message((1, "cpu"), (2, Message((1, "Utilization"), (4, 60L))))));
        var scaleUp = Message((1, "Max"), (2, Message((1, "Pods"), (2, 4L), (3, 15L))), (3, 0L));
        var v2 = ProtobufBody.Decode(Envelope("autoscaling/v2", "HorizontalPodAutoscaler", Message((1, meta), (2, Message((1, target), (2, 1L), (3, 5L), (4, metric), (5, Message((1, scaleUp))))))));
        var v1 = ProtobufBody.Decode(Envelope("autoscaling/v1", "HorizontalPodAutoscaler", Message((1, meta), (2, Message((1, target), (3, 5L), (4, 60L))))));

        v2["spec"]!.ToJsonString().Should().Be(JsonNode.Parse("""
            {"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"minReplicas":1,"maxReplicas":5,
             "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":60}}}],
             "behavior":{"scaleUp":{"selectPolicy":"Max","policies":[{"type":"Pods","value":4,"periodSeconds":15}],"stabilizationWindowSeconds":0}}}
            """)!.ToJsonString());
        v1["spec"]!.ToJsonString().Should().Be("""{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"maxReplicas":5,"targetCPUUtilizationPercentage":60}""");
    }

    [Fact]
    public void CertificateSigningRequest_DecodesRequestBytesUsagesAndExtra()
    {
        var pem = "-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n"u8.ToArray();
        var spec = Message(
            (1, pem), (2, "alice"), (4, "system:authenticated"), (5, "digital signature"), (5, "client auth"),
            (6, Entry("scope", Message((1, "a"), (1, "b")))), (7, "kubernetes.io/kube-apiserver-client"), (8, 3600L));
        var condition = Message((1, "Approved"), (2, "KubectlApprove"), (4, Message((1, 1764540000L))), (6, "True"));

        var json = ProtobufBody.Decode(Envelope("certificates.k8s.io/v1", "CertificateSigningRequest", Message((1, Message((1, "req"))), (2, spec), (3, Message((1, condition))))));

        json.ToJsonString().Should().Be(JsonNode.Parse($$$"""
            {"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","metadata":{"name":"req"},
             "spec":{"request":"{{{Convert.ToBase64String(pem)}}}","username":"alice","groups":["system:authenticated"],
                     "usages":["digital signature","client auth"],"extra":{"scope":["a","b"]},
                     "signerName":"kubernetes.io/kube-apiserver-client","expirationSeconds":3600},
             "status":{"conditions":[{"type":"Approved","reason":"KubectlApprove","lastUpdateTime":"2025-11-30T22:00:00Z","status":"True"}]}}
            """)!.ToJsonString());
    }

    [Fact]
    public void BadBodies_AreClearErrors()
    {
        var notEnvelope = () => ProtobufBody.Decode([1, 2, 3]);
        var truncated = () => ProtobufBody.Decode([.. Envelope("v1", "ConfigMap", Message((1, Message((1, "x")))))[..^6]]);
        var unknownKind = () => ProtobufBody.Decode(Envelope("example.com/v1", "Widget", Message()));

        notEnvelope.Should().Throw<ApiStatusException>().Which.Code.Should().Be(400);
        truncated.Should().Throw<ApiStatusException>().Which.Message.Should().StartWith("the protobuf body is malformed");
        unknownKind.Should().Throw<ApiStatusException>().Which.Code.Should().Be(415);
    }

    private static byte[] Envelope(string apiVersion, string kind, byte[] raw) =>
        [.. "k8s\0"u8.ToArray(), .. Message((1, Message((1, apiVersion), (2, kind))), (2, raw), (3, ""), (4, ""))];

    private static byte[] IntOrString(long type, int value, string text) => Message((1, type), (2, (long)value), (3, text));

    private static byte[] Entry(string key, object value) => Message((1, key), (2, value));

    /// <summary>Writes fields in order: strings and byte arrays length-delimited, longs and bools as varints.</summary>
    private static byte[] Message(params (int Number, object Value)[] fields)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer))
        {
            foreach (var (number, value) in fields)
            {
                switch (value)
                {
                    case string s:
                        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
                        output.WriteString(s);
                        break;
                    case byte[] b:
                        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
                        output.WriteBytes(ByteString.CopyFrom(b));
                        break;
                    case long l:
                        output.WriteTag(number, WireFormat.WireType.Varint);
                        output.WriteInt64(l);
                        break;
                    case bool flag:
                        output.WriteTag(number, WireFormat.WireType.Varint);
                        output.WriteBool(flag);
                        break;
                    default:
                        throw new ArgumentException($"cannot write {value.GetType()}");
                }
            }
        }

        return buffer.ToArray();
    }
}
