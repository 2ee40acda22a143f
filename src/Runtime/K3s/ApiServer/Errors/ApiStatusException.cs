namespace K3sLab.K3s.ApiServer.Errors;

/// <summary>One field problem in an <c>Invalid</c> (422) status: its type, message and JSON path.</summary>
internal sealed record StatusCause(string Reason, string Message, string Field);

/// <summary>
/// A request failed in a way the client must see as a Kubernetes <c>Status</c>: the HTTP code, the machine
/// <c>reason</c>, the message, and the <c>details</c> (name, group, kind, causes, retry-after). Thrown anywhere in
/// the API layers and converted to the wire once, at the edge. Build them with <see cref="ApiErrors"/>.
/// </summary>
internal sealed class ApiStatusException(
    int code,
    string reason,
    string message,
    string? name = null,
    string? group = null,
    string? kind = null,
    IReadOnlyList<StatusCause>? causes = null,
    int? retryAfterSeconds = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public string? Name { get; } = name;

    public string? Group { get; } = group;

    public string? Kind { get; } = kind;

    public IReadOnlyList<StatusCause> Causes { get; } = causes ?? [];

    public int? RetryAfterSeconds { get; } = retryAfterSeconds;

    /// <summary>Whether the status carries a <c>details</c> object.</summary>
    public bool HasDetails => Name is not null || Kind is not null || Causes.Count > 0 || RetryAfterSeconds is not null;
}
