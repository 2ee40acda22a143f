namespace K3sLab.K3s.Server;

internal sealed partial class K3sServer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Starting k3s {Version} with data dir {DataDir}")]
        public static partial void Starting(ILogger logger, string version, string dataDir);

        [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Wrote kubeconfig {Path}")]
        public static partial void WroteKubeconfig(ILogger logger, string path);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Serving the supervisor and API on https://{Address}:{Port}")]
        public static partial void Listening(ILogger logger, string address, int port);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Node token is available at {Path}")]
        public static partial void TokenLocation(ILogger logger, string path);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Shutting down the server")]
        public static partial void Stopping(ILogger logger);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Datastore {Path} opened at revision {Revision}")]
        public static partial void DatastoreOpened(ILogger logger, string path, long revision);

        [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Embedded datastore member {Name} running from {Path}")]
        public static partial void EmbeddedDatastoreStarted(ILogger logger, string path, string name);

        [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Joining the cluster of {Server}")]
        public static partial void Joining(ILogger logger, string server);

        [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Starting the kubelet for node {Node}")]
        public static partial void StartingKubelet(ILogger logger, string node);

        [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Control-plane-only server (--disable-etcd): using the cluster's datastore {Endpoints} as an etcd client, at revision {Revision}")]
        public static partial void ClusterDatastoreOpened(ILogger logger, string endpoints, long revision);

        [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "etcd-only server (--disable-apiserver): serving the supervisor on https://{Address}:{Port}, no Kubernetes API")]
        public static partial void EtcdOnlyListening(ILogger logger, string address, int port);

        [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "This build runs no kubelet on an etcd-only server (--disable-apiserver); it registers no Node, as with --disable-agent")]
        public static partial void EtcdOnlyNoKubelet(ILogger logger);

        [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "PLANTED BUG ACTIVE: {Bug} ({Variable} is set; this server is deliberately broken for a test)")]
        public static partial void PlantedBug(ILogger logger, string bug, string variable);

        [LoggerMessage(EventId = 1013, Level = LogLevel.Error, Message = "The cluster DNS cannot listen on {Endpoint}: {Error}; pods' lookups sent to this server fail (free port 53 on this address, or pass --disable coredns)")]
        public static partial void ClusterDnsFailed(ILogger logger, string endpoint, string error);

        [LoggerMessage(EventId = 1014, Level = LogLevel.Error, Message = "The kube-dns Service could not be set up: {Error}")]
        public static partial void ClusterDnsServiceFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 1015, Level = LogLevel.Error, Message = "The local-path StorageClass could not be set up: {Error}")]
        public static partial void LocalStorageClassFailed(ILogger logger, string error);
    }
}
