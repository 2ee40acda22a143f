using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// A metav1 LabelSelector as Go's <c>%+v</c> prints it (its generated <c>String()</c>), which upstream's external
/// metric messages embed: <c>nil</c>, or <c>&amp;LabelSelector{MatchLabels:map[string]string{a: b,},MatchExpressions:[]LabelSelectorRequirement{},}</c>.
/// </summary>
internal static class GoLabelSelector
{
    public static string Format(JsonObject? selector)
    {
        if (selector is null)
        {
            return "nil";
        }

        var labels = selector.Obj("matchLabels").Entries().OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value},");
        var expressions = (selector.Arr("matchExpressions") ?? []).OfType<JsonObject>().Select(e =>
            $"LabelSelectorRequirement{{Key:{e.Str("key")},Operator:{e.Str("operator")},Values:[{string.Join(' ', (e.Arr("values") ?? []).Select(JsonFields.AsString))}],}},");
        return $"&LabelSelector{{MatchLabels:map[string]string{{{string.Concat(labels)}}},MatchExpressions:[]LabelSelectorRequirement{{{string.Concat(expressions)}}},}}";
    }
}
