namespace K3sLab.Perf.Store;

/// <summary>Which gRPC client a put loop drives its calls with.</summary>
internal enum PutClient
{
    /// <summary><c>Grpc.Net.Client</c> over <c>SocketsHttpHandler</c>, async, one channel per client.</summary>
    Grpc,

    /// <summary><see cref="DirectUnaryConnection"/>: one thread per client, blocking socket calls, no hand-overs.</summary>
    Direct,
}
