using System.Text;
using System.Text.RegularExpressions;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// The string formats of apimachinery 1.33's <c>util/validation</c> (qualified names, label values, RFC 1123 labels
/// and subdomains, port numbers and names, environment variable names, config keys, percents), each returning
/// kube-apiserver's messages, empty when the value is fine. Lengths are in UTF-8 bytes, as Go's <c>len</c> counts.
/// </summary>
internal static partial class Formats
{
    public const string IsNegative = "must be greater than or equal to 0";

    private const string QualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string QualifiedNameMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string LabelValueFormat = "(" + QualifiedNameFormat + ")?";
    private const string LabelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string Dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    private const string Dns1123SubdomainFormat = Dns1123LabelFormat + "(\\." + Dns1123LabelFormat + ")*";
    private const string Dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    private const string ConfigKeyFormat = "[-._a-zA-Z0-9]+";
    private const string ConfigKeyMessage = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
    private const string PercentFormat = "[0-9]+%";
    private const string PercentMessage = "a valid percent string must be a numeric string followed by an ending '%'";

    /// <summary>A label key, annotation key or finalizer: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.</summary>
    public static List<string> QualifiedName(string value)
    {
        var errors = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0)
                {
                    errors.Add("prefix part must be non-empty");
                }
                else
                {
                    errors.AddRange(Dns1123Subdomain(parts[0]).Select(m => "prefix part " + m));
                }

                break;
            default:
                errors.Add("a qualified name " + RegexError(QualifiedNameMessage, QualifiedNameFormat, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errors;
        }

        if (name.Length == 0)
        {
            errors.Add("name part must be non-empty");
        }
        else if (Bytes(name) > 63)
        {
            errors.Add("name part " + MaxLength(63));
        }

        if (!QualifiedNamePattern().IsMatch(name))
        {
            errors.Add("name part " + RegexError(QualifiedNameMessage, QualifiedNameFormat, "MyName", "my.name", "123-abc"));
        }

        return errors;
    }

    public static List<string> LabelValue(string value)
    {
        var errors = new List<string>();
        if (Bytes(value) > 63)
        {
            errors.Add(MaxLength(63));
        }

        if (!LabelValuePattern().IsMatch(value))
        {
            errors.Add(RegexError(LabelValueMessage, LabelValueFormat, "MyValue", "my_value", "12345"));
        }

        return errors;
    }

    public static List<string> Dns1123Label(string value)
    {
        var errors = new List<string>();
        if (Bytes(value) > 63)
        {
            errors.Add(MaxLength(63));
        }

        if (!Dns1123LabelPattern().IsMatch(value))
        {
            // A valid subdomain that is no label: the length is fine, so it must be the dots.
            errors.Add(Dns1123SubdomainPattern().IsMatch(value) ? "must not contain dots" : RegexError(Dns1123LabelMessage, Dns1123LabelFormat, "my-name", "123-abc"));
        }

        return errors;
    }

    public static List<string> Dns1123Subdomain(string value)
    {
        var errors = new List<string>();
        if (Bytes(value) > 253)
        {
            errors.Add(MaxLength(253));
        }

        if (!Dns1123SubdomainPattern().IsMatch(value))
        {
            errors.Add(RegexError(Dns1123SubdomainMessage, Dns1123SubdomainFormat, "example.com"));
        }

        return errors;
    }

    public static List<string> PortNumber(long port) => port is >= 1 and <= 65535 ? [] : [InclusiveRange(1, 65535)];

    /// <summary>An IANA service name: at most 15 characters of [-a-z0-9], a letter among them, no leading, trailing or double hyphen.</summary>
    public static List<string> PortName(string port)
    {
        var errors = new List<string>();
        if (Bytes(port) > 15)
        {
            errors.Add(MaxLength(15));
        }

        if (!PortNameCharsPattern().IsMatch(port))
        {
            errors.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }

        if (!port.Any(c => c is >= 'a' and <= 'z'))
        {
            errors.Add("must contain at least one letter (a-z)");
        }

        if (port.Contains("--", StringComparison.Ordinal))
        {
            errors.Add("must not contain consecutive hyphens");
        }

        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-'))
        {
            errors.Add("must not begin or end with a hyphen");
        }

        return errors;
    }

    /// <summary>The relaxed rule (RelaxedEnvironmentVariableValidation, on by default in 1.33): printable ASCII other than '='.</summary>
    public static List<string> EnvVarName(string value)
    {
        var errors = new List<string>();
        if (value.Length == 0)
        {
            errors.Add("environment variable name must be non-empty");
        }

        if (value.Any(c => c is < ' ' or > '~' or '='))
        {
            errors.Add("a valid environment variable name must consist only of printable ASCII characters other than '='");
        }

        return errors;
    }

    /// <summary>A ConfigMap or Secret key.</summary>
    public static List<string> ConfigMapKey(string value)
    {
        var errors = new List<string>();
        if (Bytes(value) > 253)
        {
            errors.Add(MaxLength(253));
        }

        if (!ConfigKeyPattern().IsMatch(value))
        {
            errors.Add(RegexError(ConfigKeyMessage, ConfigKeyFormat, "key.name", "KEY_NAME", "key-name"));
        }

        if (value == ".")
        {
            errors.Add("must not be '.'");
        }
        else if (value == "..")
        {
            errors.Add("must not be '..'");
        }
        else if (value.StartsWith("..", StringComparison.Ordinal))
        {
            errors.Add("must not start with '..'");
        }

        return errors;
    }

    public static List<string> Percent(string value) =>
        PercentPattern().IsMatch(value) ? [] : [RegexError(PercentMessage, PercentFormat, "1%", "93%")];

    public static string InclusiveRange(long low, long high) => $"must be between {low} and {high}, inclusive";

    private static string MaxLength(int length) => $"must be no more than {length} characters";

    private static string RegexError(string message, string format, params string[] examples) =>
        message + " (e.g. " + string.Concat(examples.Select((e, i) => (i > 0 ? " or " : string.Empty) + "'" + e + "', ")) + "regex used for validation is '" + format + "')";

    private static int Bytes(string value) => Encoding.UTF8.GetByteCount(value);

    // \z, not $: Go's $ does not match before a final newline, .NET's does.
    [GeneratedRegex(@"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\z")]
    private static partial Regex QualifiedNamePattern();

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\z")]
    private static partial Regex LabelValuePattern();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex Dns1123LabelPattern();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex Dns1123SubdomainPattern();

    [GeneratedRegex(@"^[-._a-zA-Z0-9]+\z")]
    private static partial Regex ConfigKeyPattern();

    [GeneratedRegex(@"^[-a-z0-9]+\z")]
    private static partial Regex PortNameCharsPattern();

    [GeneratedRegex(@"^[0-9]+%\z")]
    private static partial Regex PercentPattern();
}
