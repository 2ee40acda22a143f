using System.Text;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// The metadata rules every kind shares (apimachinery's <c>ValidateObjectMeta</c> and <c>ValidateLabels</c>): label
/// keys are qualified names and values label values, annotation keys are qualified names (case-insensitively) and
/// all annotations together take at most 256 KiB. Causes name the map, not the key (<c>metadata.labels</c>), as
/// kube-apiserver's do.
/// </summary>
internal static class MetadataRules
{
    public const int TotalAnnotationBytes = 256 * 1024;

    /// <summary>The labels and annotations of an object's metadata, after its name checks.</summary>
    public static void LabelsAndAnnotations(JsonNode? metadata, FieldErrorList errors, string path = "metadata")
    {
        Labels(metadata.Obj("labels"), $"{path}.labels", errors);
        Annotations(metadata.Obj("annotations"), $"{path}.annotations", errors);
    }

    public static void Labels(JsonObject? labels, string path, FieldErrorList errors)
    {
        foreach (var (key, value) in labels.Entries())
        {
            LabelName(key, path, errors);
            errors.InvalidEach(path, value, Formats.LabelValue(value));
        }
    }

    public static void LabelName(string key, string path, FieldErrorList errors) => errors.InvalidEach(path, key, Formats.QualifiedName(key));

    public static void Annotations(JsonObject? annotations, string path, FieldErrorList errors)
    {
        long total = 0;
        foreach (var (key, value) in annotations.Entries())
        {
            errors.InvalidEach(path, key, Formats.QualifiedName(key.ToLowerInvariant()));
            total += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        }

        if (total > TotalAnnotationBytes)
        {
            errors.TooLong(path, TotalAnnotationBytes);
        }
    }
}
