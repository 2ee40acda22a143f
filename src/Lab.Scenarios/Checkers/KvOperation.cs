namespace K3sLab.Scenarios.Checkers;

/// <summary>Kinds of key-value operation the linearizability checker understands.</summary>
internal enum KvOperationKind
{
    /// <summary>Write <see cref="KvOperation.Value"/>.</summary>
    Put,
    /// <summary>Read; <see cref="KvOperation.Value"/> is what was observed (null: key absent).</summary>
    Get,
    /// <summary>Write <see cref="KvOperation.Value"/> only if the key's mod revision equals <see cref="KvOperation.ExpectedRevision"/>.</summary>
    Cas,
}

/// <summary>
/// One client operation with its invocation and response times (any totally ordered clock; the simulator uses an
/// event counter, so "A returned before B was called" is exact). A write whose outcome is unknown (failed or timed
/// out) has <see cref="Return"/> = <see cref="Unknown"/>: it may take effect at any point after its call, or never.
/// A read whose outcome is unknown is not recorded at all.
/// </summary>
internal sealed record KvOperation(KvOperationKind Kind, string Key, long Call, long Return)
{
    /// <summary>The return time of an operation whose outcome is unknown.</summary>
    public const long Unknown = long.MaxValue;

    /// <summary>Put and CAS: the value written. Get: the value observed (null: absent).</summary>
    public string? Value { get; init; }

    /// <summary>
    /// Put and successful CAS: the revision the write created. Get: the observed mod revision (0: absent).
    /// 0 on a write means "not reported"; the checker then only checks values.
    /// </summary>
    public long Revision { get; init; }

    /// <summary>CAS: the mod revision compared against (0: the key must be absent).</summary>
    public long ExpectedRevision { get; init; }

    /// <summary>CAS: whether the comparison held (ignored when the outcome is unknown).</summary>
    public bool Succeeded { get; init; } = true;

    /// <summary>Optional label for reports (client and request id).</summary>
    public string? Label { get; init; }

    /// <summary>True when the operation timed out or failed indeterminately.</summary>
    public bool IsIndeterminate => Return == Unknown;

    /// <summary>A put with a known (or, with <paramref name="ret"/> = <see cref="Unknown"/>, unknown) outcome.</summary>
    public static KvOperation Put(string key, string value, long call, long ret, long revision = 0) =>
        new(KvOperationKind.Put, key, call, ret) { Value = value, Revision = revision };

    /// <summary>A read that observed <paramref name="value"/> at mod revision <paramref name="revision"/> (0: not checked).</summary>
    public static KvOperation Get(string key, string? value, long call, long ret, long revision = 0) =>
        new(KvOperationKind.Get, key, call, ret) { Value = value, Revision = revision };

    /// <summary>A compare-and-swap on the mod revision.</summary>
    public static KvOperation Cas(string key, long expected, string value, bool succeeded, long call, long ret, long revision = 0) =>
        new(KvOperationKind.Cas, key, call, ret) { Value = value, ExpectedRevision = expected, Succeeded = succeeded, Revision = revision };

    /// <inheritdoc />
    public override string ToString()
    {
        var ret = IsIndeterminate ? "?" : Return.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var what = Kind switch
        {
            KvOperationKind.Put => $"put {Key}={Value}" + (IsIndeterminate ? "" : $" -> r{Revision}"),
            KvOperationKind.Get => $"get {Key} -> {Value ?? "<absent>"}@r{Revision}",
            _ => $"cas {Key} if r{ExpectedRevision} then {Value}" + (IsIndeterminate ? "" : Succeeded ? $" -> ok r{Revision}" : " -> failed"),
        };
        return $"[{Call},{ret}] {Label}{(Label is null ? "" : " ")}{what}";
    }
}
