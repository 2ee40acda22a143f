namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>The peer broke SPDY/3 framing or header compression: the connection cannot go on.</summary>
internal sealed class SpdyProtocolException(string message) : Exception(message);
