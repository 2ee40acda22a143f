namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// The event table's row id packs etcd's two-part revision {main, sub}: main is the store revision of the
/// transaction, sub numbers its writes. Row order is therefore revision order, a range "as of revision R" is
/// "id below <see cref="FirstOf"/>(R + 1)", and a transaction can write up to <see cref="MaxWritesPerRevision"/> keys.
/// </summary>
internal static class EventId
{
    private const int SubBits = 20;

    public const int MaxWritesPerRevision = 1 << SubBits;

    public static long Of(long revision, int sub) => (revision << SubBits) | (uint)sub;

    /// <summary>The lowest id of <paramref name="revision"/>.</summary>
    public static long FirstOf(long revision) => revision << SubBits;

    public static long RevisionOf(long id) => id >> SubBits;
}
