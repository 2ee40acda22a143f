using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Admission;

/// <summary>
/// kube-apiserver's DefaultStorageClass admission plugin: a PersistentVolumeClaim created without
/// <c>spec.storageClassName</c> (absent or null; an empty string asks for no class and is kept) gets the default
/// class's name. The default is a StorageClass annotated <c>storageclass.kubernetes.io/is-default-class: "true"</c>
/// (or the beta key); with several, the newest wins, then the name that sorts first, as kube 1.28+ picks. Pure.
/// </summary>
internal static class DefaultStorageClass
{
    public const string Annotation = "storageclass.kubernetes.io/is-default-class";
    public const string BetaAnnotation = "storageclass.beta.kubernetes.io/is-default-class";

    /// <summary>Whether a StorageClass is marked default by either annotation.</summary>
    public static bool IsDefault(JsonObject storageClass) =>
        storageClass["metadata"]?["annotations"] is JsonObject annotations
        && (Text(annotations[Annotation]) == "true" || Text(annotations[BetaAnnotation]) == "true");

    /// <summary>The default class among <paramref name="classes"/>, or null when none is marked.</summary>
    public static string? Choose(IEnumerable<JsonObject> classes) =>
        classes.Where(IsDefault)
            .OrderByDescending(c => DateTimeOffset.TryParse(Text(c["metadata"]?["creationTimestamp"]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue)
            .ThenBy(c => Text(c["metadata"]?["name"]), StringComparer.Ordinal)
            .Select(c => Text(c["metadata"]?["name"]))
            .FirstOrDefault();

    /// <summary>Whether the claim asks for the default class: no <c>storageClassName</c> at all, or null.</summary>
    public static bool NeedsClass(JsonObject claim) => claim["spec"] is not JsonObject spec || spec["storageClassName"] is null;

    /// <summary>Sets the claim's class to <paramref name="className"/> when it <see cref="NeedsClass"/> one.</summary>
    public static void Admit(JsonObject claim, string? className)
    {
        if (className is null || !NeedsClass(claim))
        {
            return;
        }

        if (claim["spec"] is not JsonObject spec)
        {
            claim["spec"] = spec = [];
        }

        spec["storageClassName"] = className;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
