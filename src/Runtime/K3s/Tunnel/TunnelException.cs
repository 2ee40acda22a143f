namespace K3sLab.K3s.Tunnel;

/// <summary>A tunnel stream could not be opened or was reset; the message is the peer's (or the session's) reason.</summary>
internal sealed class TunnelException(string message) : IOException(message);
