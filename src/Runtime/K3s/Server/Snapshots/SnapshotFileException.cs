namespace K3sLab.K3s.Server.Snapshots;

/// <summary>A file given as a datastore snapshot is missing, is not one, or is damaged; the message names the file.</summary>
internal sealed class SnapshotFileException(string message) : Exception(message);
