namespace K3sLab.Scenarios.Checkers;

/// <summary>Kinds of key-value operation the linearizability checker understands.</summary>
internal enum KvOperationKind
{
    /// <summary>Write <see cref="KvOperation.Value"/>.</summary>
    Put,
    /// <summary>Read; <see cref="KvOperation.Value"/> is what was observed (null: key absent).</summary>
    Get,
}

/// <summary>
/// One client operation with its invocation and response times. A write whose outcome is unknown (failed or timed
/// out) has <see cref="Return"/> = <see cref="long.MaxValue"/>: it may take effect at any point after its call, or never.
/// </summary>
internal sealed record KvOperation(KvOperationKind Kind, string Key, string? Value, long Call, long Return)
{
    public const long Unknown = long.MaxValue;
}
