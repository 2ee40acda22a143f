using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// The causes of one <c>Invalid</c> status, collected in the order kube-apiserver finds them. Each method builds a
/// cause as apimachinery 1.33's <c>field.Required</c>, <c>Invalid</c>, <c>NotSupported</c>, ... do: the reason
/// (<c>FieldValueRequired</c>, ...), the JSON path, and the message <c>field.Error.ErrorBody</c> renders, e.g.
/// <c>Invalid value: 70000: must be between 1 and 65535, inclusive</c>.
/// </summary>
internal sealed class FieldErrorList : List<StatusCause>
{
    public void Required(string field, string detail = "") => Add(new("FieldValueRequired", Body("Required value", detail), field));

    public void Invalid(string field, GoValue value, string detail) => Add(new("FieldValueInvalid", Body($"Invalid value: {value}", detail), field));

    /// <summary>An enumerated value outside <paramref name="supported"/>, listed as given (kube sorts some lists, not others).</summary>
    public void NotSupported(string field, GoValue value, params string[] supported) =>
        Add(new("FieldValueNotSupported", Body($"Unsupported value: {value}", supported.Length == 0 ? string.Empty : "supported values: " + string.Join(", ", supported.Select(GoValue.Quote))), field));

    public void Duplicate(string field, GoValue value) => Add(new("FieldValueDuplicate", $"Duplicate value: {value}", field));

    public void NotFound(string field, GoValue value) => Add(new("FieldValueNotFound", $"Not found: {value}", field));

    public void Forbidden(string field, string detail) => Add(new("FieldValueForbidden", Body("Forbidden", detail), field));

    public void TooLong(string field, long maxBytes) => Add(new("FieldValueTooLong", $"Too long: may not be more than {maxBytes} bytes", field));

    /// <summary><c>ValidateNonnegativeField</c>: nothing for an absent value.</summary>
    public void NonNegative(string field, long? value)
    {
        if (value < 0)
        {
            Invalid(field, value.Value, Formats.IsNegative);
        }
    }

    /// <summary>Adds one <c>Invalid</c> cause per message, as the <c>for _, msg := range IsX(value)</c> loops do.</summary>
    public void InvalidEach(string field, string value, IEnumerable<string> messages)
    {
        foreach (var message in messages)
        {
            Invalid(field, value, message);
        }
    }

    private static string Body(string head, string detail) => detail.Length == 0 ? head : $"{head}: {detail}";
}
