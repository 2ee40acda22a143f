namespace K3sLab.K3s.Store.Sql.Postgres;

/// <summary>
/// What PostgreSQL's SQLSTATE codes mean for the store, pure: which failures run a write batch again (nothing was
/// written and another try can succeed), which mean the connection is gone, and the sentence each becomes.
/// </summary>
internal static class PostgresErrors
{
    public const string SerializationFailure = "40001";
    public const string DeadlockDetected = "40P01";
    public const string UniqueViolation = "23505";
    public const string InvalidPassword = "28P01";
    public const string InvalidAuthorization = "28000";
    public const string InvalidCatalogName = "3D000";
    public const string InsufficientPrivilege = "42501";
    public const string DuplicateDatabase = "42P04";
    public const string DiskFull = "53100";
    public const string TooManyConnections = "53300";
    public const string ReadOnlyTransaction = "25006";
    public const string AdminShutdown = "57P01";
    public const string CrashShutdown = "57P02";
    public const string CannotConnectNow = "57P03";

    /// <summary>
    /// A server error's class by its SQLSTATE; <paramref name="sqlState"/> null means the failure never reached the
    /// server (socket refused or reset, timeout), which is a lost connection too.
    /// </summary>
    public static SqlFailure Classify(string? sqlState) => sqlState switch
    {
        null => SqlFailure.ConnectionLost,
        SerializationFailure or DeadlockDetected or UniqueViolation => SqlFailure.Retry,
        AdminShutdown or CrashShutdown or CannotConnectNow or TooManyConnections => SqlFailure.ConnectionLost,
        _ when sqlState.StartsWith("08", StringComparison.Ordinal) => SqlFailure.ConnectionLost,
        _ => SqlFailure.Fatal,
    };

    /// <summary>The store error and one sentence for a failure at <paramref name="endpoint"/> (already redacted).</summary>
    public static (StoreError Error, string Message) Describe(string? sqlState, string message, string endpoint) => sqlState switch
    {
        InvalidPassword or InvalidAuthorization => (StoreError.Unavailable, $"PostgreSQL at {endpoint} refused the user name or password ({message}); check the endpoint's credentials"),
        InvalidCatalogName => (StoreError.Unavailable, $"the database of {endpoint} does not exist ({message})"),
        InsufficientPrivilege => (StoreError.Unavailable, $"the user of {endpoint} lacks a privilege the datastore needs ({message})"),
        DiskFull => (StoreError.NoSpace, $"PostgreSQL at {endpoint} is out of disk space; nothing from the failed writes was stored ({message})"),
        ReadOnlyTransaction => (StoreError.Unavailable, $"PostgreSQL at {endpoint} is read-only (a standby?); nothing from the failed writes was stored ({message})"),
        SerializationFailure or DeadlockDetected or UniqueViolation => (StoreError.Unavailable, $"PostgreSQL at {endpoint} kept refusing the writes as conflicting with another server's; nothing was stored, retry ({message})"),
        _ when Classify(sqlState) == SqlFailure.ConnectionLost => (StoreError.Unavailable, $"cannot reach PostgreSQL at {endpoint}; nothing from the failed writes was stored, the store reconnects by itself ({message})"),
        _ => (StoreError.Unavailable, $"PostgreSQL at {endpoint} failed: {message}"),
    };
}
