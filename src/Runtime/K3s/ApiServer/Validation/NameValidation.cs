using System.Text.RegularExpressions;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// Object name rules with kube-apiserver's exact messages: most kinds take an RFC 1123 subdomain (253 chars),
/// namespaces an RFC 1123 label (63), Services an RFC 1035 label (63). Each check returns the causes for an
/// <c>Invalid</c> status, empty when the name is fine.
/// </summary>
internal static partial class NameValidation
{
    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    internal const string Dns1035Message = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    /// <summary>How a kind's object names are checked.</summary>
    internal enum Rule
    {
        Subdomain,
        Label,
        Dns1035Label,
    }

    public static IReadOnlyList<StatusCause> Check(string? name, string? generateName, Rule rule, string field = "metadata.name")
    {
        if (string.IsNullOrEmpty(name))
        {
            return string.IsNullOrEmpty(generateName)
                ? [new StatusCause("FieldValueRequired", "Required value: name or generateName is required", field)]
                : [];
        }

        var (max, pattern, message) = rule switch
        {
            Rule.Label => (63, Label(), LabelMessage),
            Rule.Dns1035Label => (63, Dns1035(), Dns1035Message),
            _ => (253, Subdomain(), SubdomainMessage),
        };
        var causes = new List<StatusCause>();
        if (name.Length > max)
        {
            causes.Add(Invalid(name, $"must be no more than {max} characters", field));
        }

        if (!pattern.IsMatch(name))
        {
            causes.Add(Invalid(name, message, field));
        }

        return causes;
    }

    private static StatusCause Invalid(string value, string message, string field) =>
        new("FieldValueInvalid", $"Invalid value: {GoValue.Quote(value)}: {message}", field);

    // \z, not $: Go's $ does not match before a final newline, .NET's does.
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex Subdomain();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex Label();

    [GeneratedRegex(@"^[a-z]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex Dns1035();
}
