using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// A <c>fieldSelector</c> over the fields every kind supports (<c>metadata.name</c>, <c>metadata.namespace</c>) with
/// <c>=</c>, <c>==</c> and <c>!=</c>; other fields are refused with kube-apiserver's message. Pure.
/// </summary>
internal sealed class FieldSelector
{
    private readonly List<(string Field, string Value, bool Negate)> _terms = [];

    public static FieldSelector Parse(string? text, string kind)
    {
        var selector = new FieldSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var term in text.Split(','))
        {
            var (op, negate) = term.Contains("!=", StringComparison.Ordinal) ? ("!=", true) : term.Contains("==", StringComparison.Ordinal) ? ("==", false) : ("=", false);
            var at = term.IndexOf(op, StringComparison.Ordinal);
            if (at <= 0)
            {
                throw ApiErrors.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            }

            var field = term[..at].Trim();
            if (field is not ("metadata.name" or "metadata.namespace"))
            {
                throw ApiErrors.BadRequest($"field label not supported: {field}");
            }

            selector._terms.Add((field, term[(at + op.Length)..].Trim(), negate));
        }

        _ = kind;
        return selector;
    }

    public bool Matches(JsonObject obj)
    {
        foreach (var (field, value, negate) in _terms)
        {
            var actual = obj["metadata"]?[field["metadata.".Length..]]?.GetValue<string>() ?? string.Empty;
            if ((actual == value) == negate)
            {
                return false;
            }
        }

        return true;
    }
}
