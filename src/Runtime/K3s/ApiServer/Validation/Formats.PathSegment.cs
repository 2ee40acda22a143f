namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>apimachinery's <c>IsValidPathSegmentName</c>: a name that goes into a URL path may not be "." or "..", nor hold '/' or '%'.</summary>
internal static partial class Formats
{
    public static List<string> PathSegmentName(string value)
    {
        if (value is "." or "..")
        {
            return [$"may not be '{value}'"];
        }

        var errors = new List<string>();
        foreach (var illegal in new[] { "/", "%" })
        {
            if (value.Contains(illegal, StringComparison.Ordinal))
            {
                errors.Add($"may not contain '{illegal}'");
            }
        }

        return errors;
    }
}
