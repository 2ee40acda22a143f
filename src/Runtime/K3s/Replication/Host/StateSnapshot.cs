namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// A state machine's frozen snapshot: its exact encoded size, and what writes exactly that many bytes. Knowing the size
/// first lets the host encode a large state into one array of the right length, instead of a growing buffer that
/// is then copied out.
/// </summary>
/// <param name="Length">The number of bytes <paramref name="WriteTo"/> writes.</param>
/// <param name="WriteTo">Writes the snapshot; may run on any thread, later, and more than once.</param>
internal sealed record StateSnapshot(long Length, Action<Stream> WriteTo);
