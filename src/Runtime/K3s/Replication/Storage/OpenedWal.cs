namespace K3sLab.K3s.Replication.Storage;

/// <summary>An opened WAL, ready to append, and what it held.</summary>
internal sealed record OpenedWal(Wal Wal, WalRecovery Recovery);
