using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using K3sLab.Lab.Host;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// A real etcd 3.4 cluster on loopback (<c>/usr/bin/etcd</c>), each member on free client and peer ports with its own
/// data dir, plain HTTP or, with <see cref="EtcdTestPki"/>, TLS on the client port with client certificates required.
/// Members can be killed (SIGKILL) and restarted on the same data dir; disposal kills every member and deletes the files.
/// </summary>
internal sealed class EtcdCluster : IAsyncDisposable
{
    private readonly Member[] _members;
    private readonly EtcdTestPki? _pki;

    private EtcdCluster(DirectoryInfo root, Member[] members, EtcdTestPki? pki)
    {
        Root = root;
        _members = members;
        _pki = pki;
    }

    public DirectoryInfo Root { get; }

    /// <summary>The client URLs, comma-separated, as <c>--datastore-endpoint</c> takes them.</summary>
    public string ClientUrls => string.Join(",", _members.Select(m => m.ClientUrl));

    public string ClientUrl(int member) => _members[member].ClientUrl;

    /// <summary>Starts <paramref name="size"/> members as a new cluster and waits until every member reports healthy.</summary>
    public static async Task<EtcdCluster> StartAsync(int size, bool tls, CancellationToken ct)
    {
        var root = Directory.CreateTempSubdirectory("k3slab-etcdcluster-");
        var pki = tls ? EtcdTestPki.Create(root.FullName) : null;
        var scheme = tls ? "https" : "http";
        var members = Enumerable.Range(1, size)
            .Select(i => new Member($"m{i}", Path.Combine(root.FullName, $"m{i}"), $"{scheme}://127.0.0.1:{Loopback.FreePort()}", $"http://127.0.0.1:{Loopback.FreePort()}"))
            .ToArray();
        var cluster = new EtcdCluster(root, members, pki);
        try
        {
            var initial = string.Join(",", members.Select(m => $"{m.Name}={m.PeerUrl}"));
            foreach (var member in members)
            {
                member.Start(initial, pki);
            }

            for (var i = 0; i < size; i++)
            {
                await cluster.WaitHealthyAsync(i, TimeSpan.FromSeconds(30), ct);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL, as a crash: no goodbye to the peers.</summary>
    public void Kill(int member) => _members[member].Kill();

    /// <summary>Starts a killed member again on its data dir (etcd then ignores the initial-cluster flags).</summary>
    public void Restart(int member) => _members[member].Start(string.Join(",", _members.Select(m => $"{m.Name}={m.PeerUrl}")), _pki);

    /// <summary>Waits until the member answers <c>etcdctl endpoint health</c> (a linearizable read: it needs quorum).</summary>
    public async Task WaitHealthyAsync(int member, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var health = await EtcdctlAsync(member, ct, "endpoint", "health");
            if (health.ExitCode == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"etcd member {_members[member].Name} not healthy within {within.TotalSeconds:0} s: {health.Stderr}\n{_members[member].Log}");
            }

            await Task.Delay(200, ct);
        }
    }

    /// <summary>Runs the real etcdctl against one member, with the cluster's client certificate when it uses TLS.</summary>
    public Task<EtcdctlResult> EtcdctlAsync(int member, CancellationToken ct, params string[] args)
    {
        var tlsArgs = _pki is null ? [] : new[] { "--cacert", _pki.CaFile, "--cert", _pki.ClientCertFile, "--key", _pki.ClientKeyFile };
        return Etcdctl.RunAsync(_members[member].ClientUrl, [.. tlsArgs, "--command-timeout=5s", .. args], null, TimeSpan.FromSeconds(15), ct);
    }

    /// <summary>Every member's log, for failure messages.</summary>
    public string Logs => string.Join("\n", _members.Select(m => $"--- {m.Name}\n{m.Log}"));

    public ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            member.Kill();
        }

        try
        {
            Root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A member still closing its files; the temp dir is cleaned up by the OS eventually.
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>One etcd process; its output is kept (bounded) for failure messages.</summary>
    private sealed class Member(string name, string dataDir, string clientUrl, string peerUrl)
    {
        private readonly StringBuilder _log = new();
        private Process? _process;

        public string Name { get; } = name;

        public string ClientUrl { get; } = clientUrl;

        public string PeerUrl { get; } = peerUrl;

        public string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        public void Start(string initialCluster, EtcdTestPki? pki)
        {
            var start = new ProcessStartInfo("/usr/bin/etcd") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("ETCD", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(variable);
            }

            string[] args =
            [
                "--name", Name, "--data-dir", dataDir,
                "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
                "--listen-peer-urls", PeerUrl, "--initial-advertise-peer-urls", PeerUrl,
                "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", "k3slab-test",
                .. pki is null ? [] : new[] { "--cert-file", pki.ServerCertFile, "--key-file", pki.ServerKeyFile, "--trusted-ca-file", pki.CaFile, "--client-cert-auth" },
            ];
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            _process = Process.Start(start)!;
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
        }

        public void Kill()
        {
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process?.Dispose();
            _process = null;
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_log)
            {
                if (_log.Length > 200_000)
                {
                    _log.Remove(0, 100_000);
                }

                _log.AppendLine(line.Length > 400 ? line[..400] : line);
            }
        }
    }
}

/// <summary>
/// Certificates for a TLS test cluster, made with System.Security.Cryptography and written as PEM: a CA, a member
/// certificate for 127.0.0.1 signed by it, a client certificate signed by it, and a second, unrelated CA that a
/// misconfigured client may trust instead.
/// </summary>
internal sealed class EtcdTestPki
{
    public required string CaFile { get; init; }

    public required string ServerCertFile { get; init; }

    public required string ServerKeyFile { get; init; }

    public required string ClientCertFile { get; init; }

    public required string ClientKeyFile { get; init; }

    public required string OtherCaFile { get; init; }

    public static EtcdTestPki Create(string directory)
    {
        var dir = Directory.CreateDirectory(Path.Combine(directory, "pki")).FullName;
        string P(string file) => Path.Combine(dir, file);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = SelfSignedCa("k3slab-test-etcd-ca", caKey);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = SelfSignedCa("k3slab-test-other-ca", otherKey);
        File.WriteAllText(P("ca.crt"), ca.ExportCertificatePem());
        File.WriteAllText(P("other-ca.crt"), other.ExportCertificatePem());
        Issue(ca, caKey, "etcd-member", server: true, P("server.crt"), P("server.key"));
        Issue(ca, caKey, "k3s-apiserver", server: false, P("client.crt"), P("client.key"));
        return new EtcdTestPki
        {
            CaFile = P("ca.crt"),
            ServerCertFile = P("server.crt"),
            ServerKeyFile = P("server.key"),
            ClientCertFile = P("client.crt"),
            ClientKeyFile = P("client.key"),
            OtherCaFile = P("other-ca.crt"),
        };
    }

    private static X509Certificate2 SelfSignedCa(string name, ECDsa key)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static void Issue(X509Certificate2 ca, ECDsa caKey, string name, bool server, string certFile, string keyFile)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var usages = new OidCollection { new("1.3.6.1.5.5.7.3.2") };
        if (server)
        {
            usages.Add(new Oid("1.3.6.1.5.5.7.3.1"));
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var serial = BitConverter.GetBytes(DateTime.UtcNow.Ticks + name.Length);
        using var cert = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }
}
