namespace K3sLab.K3s.Replication.Storage;

/// <summary>Who owns a WAL: every segment header repeats both, and recovery refuses a segment from another member or cluster.</summary>
internal readonly record struct WalMetadata(ulong MemberId, ulong ClusterId);
