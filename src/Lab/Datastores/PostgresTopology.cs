using System.Globalization;
using System.Net;
using K3sLab.Lab.Images;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Datastores;

/// <summary>
/// The external PostgreSQL of a lab cluster, as data: the node's start script (initdb with password authentication
/// on first start, then <c>postgres</c> in the foreground as user <c>postgres</c>, listening on the lab network), its
/// files, and the <c>postgres://</c> endpoint the servers use. A clean stop sends SIGINT, PostgreSQL's fast shutdown
/// (SIGTERM would wait for the servers' pooled connections to close).
/// </summary>
/// <param name="Address">The PostgreSQL node's address.</param>
/// <param name="Password">The password of the <c>k3s</c> superuser the servers log in as.</param>
public sealed record PostgresTopology(IPAddress Address, string Password)
{
    public const int Port = 5432;
    public const string User = "k3s";
    public const string Database = "k3s";
    public const string DataDir = "/var/lib/k3slab/postgres";
    public const string ConfigDir = "/etc/k3slab/postgres";
    public const string StopSignal = "SIGINT";

    /// <summary>The endpoint the servers get, password included (the runtime redacts it in every message).</summary>
    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"postgres://{User}:{Uri.EscapeDataString(Password)}@{Address}:{Port}/{Database}?sslmode=disable");

    /// <summary>The node's command: the start script.</summary>
    public static IReadOnlyList<string> Command => ["/bin/sh", $"{ConfigDir}/start.sh"];

    /// <summary>The start script and the password file.</summary>
    public IReadOnlyList<NodeFile> Files =>
    [
        NodeFile.Text($"{ConfigDir}/start.sh", StartScript, NodeFile.Executable),
        NodeFile.Text($"{ConfigDir}/password", Password + "\n", NodeFile.Secret),
    ];

    /// <summary>The <c>k3s server</c> flags that point a server at the database.</summary>
    public IReadOnlyList<string> ServerArgs() => ["--datastore-endpoint", Endpoint];

    /// <summary>The readiness probe run inside the node: exits 0 once PostgreSQL accepts connections on its address.</summary>
    public static IReadOnlyList<string> Probe(IPAddress address) =>
        [$"{BaseImageRecipe.PostgresBin}/pg_isready", "-q", "-h", address.ToString(), "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", User];

    private static string StartScript => $$"""
        #!/bin/sh
        # The lab's PostgreSQL: initdb on the first start (password auth from the lab network), then the server in the
        # foreground as user postgres (setpriv execs, so signals reach it directly).
        set -eu
        data={{DataDir}}
        bin={{BaseImageRecipe.PostgresBin}}
        as_postgres="setpriv --reuid=postgres --regid=postgres --init-groups"
        install -d -o postgres -g postgres -m 0775 /run/postgresql
        if [ ! -s "$data/PG_VERSION" ]; then
          install -d -o postgres -g postgres -m 0700 "$data"
          install -o postgres -g postgres -m 0600 {{ConfigDir}}/password /run/postgresql/pwfile
          $as_postgres "$bin/initdb" -D "$data" -U {{User}} --pwfile=/run/postgresql/pwfile --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >/dev/null
          rm -f /run/postgresql/pwfile
          echo "host all all 0.0.0.0/0 scram-sha-256" >> "$data/pg_hba.conf"
        fi
        exec $as_postgres "$bin/postgres" -D "$data" -c listen_addresses='*' -c port={{Port}} -c max_connections=200 -c unix_socket_directories=/run/postgresql
        """ + "\n";
}
