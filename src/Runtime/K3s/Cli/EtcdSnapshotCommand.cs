using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Server.Embedded;
using K3sLab.K3s.Server.Snapshots;

namespace K3sLab.K3s.Cli;

/// <summary>
/// <c>k3s etcd-snapshot save|delete|ls|list|prune</c> for the embedded datastore of a local server, with k3s's flag
/// names. Snapshots live in <c>--etcd-snapshot-dir</c> (default <c>${data-dir}/server/db/snapshots</c>); S3 storage,
/// compression and the ETCDSnapshotFile resources are not implemented, and their flags are not accepted.
/// </summary>
internal static partial class EtcdSnapshotCommand
{
    public static Command Create()
    {
        var command = new Command("etcd-snapshot", "Manage etcd snapshots");
        command.Subcommands.Add(Operation("save", "Trigger an immediate etcd snapshot", SaveAsync));
        command.Subcommands.Add(Operation("delete", "Delete given snapshot(s)", DeleteAsync, names: true));
        var list = Operation("ls", "List snapshots", ListAsync);
        list.Aliases.Add("list");
        command.Subcommands.Add(list);
        command.Subcommands.Add(Operation("prune", "Remove snapshots that match the name prefix that exceed the configured retention count", PruneAsync, retention: true));
        return command;
    }

    /// <summary>What every operation is given, after flags and defaults.</summary>
    private sealed record Request(DataDir DataDir, string NodeName, string Prefix, SnapshotDirectory Directory, int Retention, string[] Names, ILogger Logger);

    private static Command Operation(string name, string description, Func<Request, CancellationToken, Task<int>> run, bool names = false, bool retention = false)
    {
        var dataDir = EnvOption.String("--data-dir", "-d", "K3S_DATA_DIR", "Folder to hold state", DataDir.DefaultRoot);
        var nodeName = EnvOption.String("--node-name", null, "K3S_NODE_NAME", "Node name (default: the node of this data dir's datastore member, else the hostname)");
        var prefix = EnvOption.String("--name", null, null, "Set the base name of etcd snapshots", SnapshotName.OnDemandPrefix);
        var dir = new Option<string?>("--dir", "--etcd-snapshot-dir") { Description = "Directory to save etcd on-demand snapshot to (default: ${data-dir}/server/db/snapshots)" };
        var keep = new Option<int>("--snapshot-retention", "--etcd-snapshot-retention") { Description = "Number of snapshots to retain", DefaultValueFactory = _ => 5 };
        var files = new Argument<string[]>("snapshots") { Arity = names ? ArgumentArity.ZeroOrMore : ArgumentArity.Zero };
        var command = new Command(name, description) { dataDir, nodeName, prefix, dir };
        if (retention)
        {
            command.Options.Add(keep);
        }

        if (names)
        {
            command.Arguments.Add(files);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            using var loggers = RuntimeLogging.Create();
            var logger = loggers.CreateLogger("k3s");
            try
            {
                var root = new DataDir(Path.GetFullPath(parse.GetValue(dataDir)!));
                if (!EmbeddedDatastore.HasData(root))
                {
                    throw new SnapshotFileException($"etcd snapshots need the embedded datastore, and the server on {root.Root} has none ({root.EtcdMember} holds no WAL): start it with --cluster-init or join it with --server");
                }

                var request = new Request(
                    root,
                    parse.GetValue(nodeName) ?? DefaultNodeName(root),
                    parse.GetValue(prefix)!,
                    new SnapshotDirectory(parse.GetValue(dir) ?? Path.Combine(root.ServerDb, "snapshots")),
                    retention ? parse.GetValue(keep) : 0,
                    names ? parse.GetValue(files) ?? [] : [],
                    logger);
                return await run(request, cancellationToken);
            }
            catch (Exception e) when (e is SnapshotFileException or IOException or UnauthorizedAccessException)
            {
                RuntimeLogging.Fatal(logger, e.Message);
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> SaveAsync(Request request, CancellationToken cancellationToken)
    {
        var name = SnapshotName.Create(request.Prefix, request.NodeName, DateTimeOffset.UtcNow);
        await LocalDatastoreSnapshot.SaveAsync(request.DataDir, request.Directory.PathOf(name), cancellationToken);
        LogSaved(request.Logger, name);
        return 0;
    }

    private static Task<int> DeleteAsync(Request request, CancellationToken cancellationToken)
    {
        if (request.Names.Length == 0)
        {
            throw new SnapshotFileException("no snapshots given for removal");
        }

        foreach (var name in request.Names)
        {
            if (request.Directory.Delete(name))
            {
                LogDeleted(request.Logger, name);
            }
            else
            {
                LogNotFound(request.Logger, name);
            }
        }

        return Task.FromResult(0);
    }

    private static Task<int> PruneAsync(Request request, CancellationToken cancellationToken)
    {
        foreach (var name in request.Directory.Prune(SnapshotName.Series(request.Prefix, request.NodeName), request.Retention))
        {
            LogDeleted(request.Logger, name);
        }

        return Task.FromResult(0);
    }

    /// <summary>k3s's table: name, location, size and creation time (RFC 3339), oldest first, columns padded as tabwriter pads them.</summary>
    private static Task<int> ListAsync(Request request, CancellationToken cancellationToken)
    {
        var rows = new List<string[]> { new[] { "Name", "Location", "Size", "Created" } };
        rows.AddRange(request.Directory.List().Select(s => new[]
        {
            s.Name, s.Location, s.Size.ToString(CultureInfo.InvariantCulture), s.Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        }));
        var widths = Enumerable.Range(0, 3).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            for (var c = 0; c < 3; c++)
            {
                text.Append(row[c].PadRight(widths[c] + 1));
            }

            text.Append(row[3]).Append('\n');
        }

        Console.Out.Write(text.ToString());
        return Task.FromResult(0);
    }

    /// <summary>The node part of the member name (<c>&lt;node&gt;-&lt;8 hex&gt;</c>) in <c>server/db/etcd/name</c>, else the hostname.</summary>
    private static string DefaultNodeName(DataDir dir)
    {
        var member = File.Exists(dir.EtcdNameFile) ? File.ReadAllText(dir.EtcdNameFile).Trim() : string.Empty;
        return member.Length > 9 && EmbeddedDatastore.SameNode(member, member[..^9]) ? member[..^9] : Dns.GetHostName().ToLowerInvariant();
    }
}
