using K3sLab.K3s.ApiServer.Protobuf;

namespace K3sLab.K3s.ApiServer.OpenApi;

/// <summary>The component names kube-apiserver gives schemas: the Go package path, dotted, then the type.</summary>
internal static class SchemaNames
{
    public const string Quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity";
    public const string Time = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
    public const string MicroTime = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime";
    public const string IntOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
    public const string RawExtension = "io.k8s.apimachinery.pkg.runtime.RawExtension";
    public const string ListMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

    /// <summary>A message of the schema table: <c>core/v1</c> ConfigMap is <c>io.k8s.api.core.v1.ConfigMap</c>.</summary>
    /// <remarks>A table name with a version suffix (<c>HorizontalPodAutoscaler.v2</c>) is named without it.</remarks>
    public static string Message(string message) => Package(ProtoSchema.Package(message) ?? "core/v1") + "." + message.Split('.')[0];

    /// <summary>A served kind, with or without a schema in the table.</summary>
    public static string Kind(string group, string version, string kind) =>
        Package((group.Length == 0 ? "core" : group.Split('.')[0]) + "/" + version) + "." + kind;

    private static string Package(string package) => package switch
    {
        "meta/v1" => "io.k8s.apimachinery.pkg.apis.meta.v1",
        "apiextensions/v1" => "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1",
        "apiregistration/v1" => "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1",
        _ => "io.k8s.api." + package.Replace('/', '.'),
    };
}
