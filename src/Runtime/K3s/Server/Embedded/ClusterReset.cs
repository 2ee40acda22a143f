using System.Globalization;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Replication;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Replication.Storage;
using K3sLab.K3s.Server.Snapshots;

namespace K3sLab.K3s.Server.Embedded;

/// <summary>
/// <c>k3s server --cluster-reset [--cluster-reset-restore-path FILE]</c>: make this server's member the only member
/// of a cluster, with its own data (etcd's force-new-cluster: same member and cluster ids, the peers forgotten) or
/// with a snapshot's (new ids), then write <c>server/db/reset-flag</c> and stop, as k3s does. Other servers rejoin
/// after their <c>server/db</c> is removed.
/// </summary>
/// <remarks>
/// Nothing is moved before every check passed and the snapshot was read whole. The new member is built beside the
/// old one (<c>db/etcd-new-&lt;unix&gt;</c>, fsynced), then <c>db/etcd</c> becomes <c>db/etcd-old-&lt;unix&gt;</c> and the
/// new one takes its place; the old data is kept for the user to delete.
/// </remarks>
internal static partial class ClusterReset
{
    /// <summary>k3s's message when the reset is done, <c>${datadir}</c> and all.</summary>
    public const string DoneMessage = "Managed etcd cluster membership has been reset, restart without --cluster-reset flag now. Backup and delete ${datadir}/server/db on each peer etcd server and rejoin the nodes";

    /// <summary><c>server/db/reset-flag</c>: a reset was done; a normal start removes it.</summary>
    public static string FlagFile(DataDir dir) => Path.Combine(dir.ServerDb, "reset-flag");

    /// <summary>The flag rules k3s applies before anything starts.</summary>
    public static void CheckFlags(ServerSettings settings)
    {
        if (settings.ClusterResetRestorePath is not null && !settings.ClusterReset)
        {
            throw new BootstrapException("invalid flag use; --cluster-reset required with --cluster-reset-restore-path");
        }

        if (settings.ClusterReset && settings.ServerUrl is not null)
        {
            throw new BootstrapException("cannot perform cluster-reset while server URL is set");
        }
    }

    /// <summary>A normal start of the embedded datastore: the reset is over, so its flag goes.</summary>
    public static void ClearFlag(DataDir dir) => File.Delete(FlagFile(dir));

    /// <summary>Resets (or restores) the member, writes the flag and logs k3s's message. Failures are <see cref="BootstrapException"/>s.</summary>
    public static async Task RunAsync(ServerSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        CheckFlags(settings);
        var dir = settings.DataDir;
        EnsureStopped(dir);
        var restorePath = settings.ClusterResetRestorePath;
        ulong memberId, clusterId;
        MvccState state;
        if (restorePath is null)
        {
            if (File.Exists(FlagFile(dir)))
            {
                throw new BootstrapException($"Managed etcd cluster membership was previously reset, please remove the cluster-reset flag and start k3s normally. If you need to perform another cluster reset, you must first manually delete the file at {FlagFile(dir)}");
            }

            if (!EmbeddedDatastore.HasData(dir))
            {
                throw new BootstrapException($"--cluster-reset resets the embedded datastore, and this server has none: {dir.EtcdMember} holds no WAL");
            }

            Log.Resetting(logger, dir.EtcdMember);
            var current = await ReadCurrentAsync(dir, logger, cancellationToken).ConfigureAwait(false);
            (memberId, clusterId, state) = (current.MemberId, current.ClusterId, current.State);
        }
        else
        {
            CheckToken(settings);
            try
            {
                state = DatastoreSnapshotFile.Read(Path.GetFullPath(restorePath));
            }
            catch (SnapshotFileException e)
            {
                throw new BootstrapException($"--cluster-reset-restore-path: {e.Message}; nothing was changed");
            }
            catch (IOException e)
            {
                throw new BootstrapException($"--cluster-reset-restore-path: cannot read {restorePath}: {e.Message}; nothing was changed");
            }

            Log.Restoring(logger, restorePath, state.Revision);
            (memberId, clusterId) = (MemberRebuild.NewId(), MemberRebuild.NewId());
        }

        await ReplaceAsync(settings, memberId, clusterId, state, logger, cancellationToken).ConfigureAwait(false);
        AtomicFile.Write(FlagFile(dir), string.Empty);
        Log.Done(logger, DoneMessage);
    }

    /// <summary>
    /// A running server holds its newest WAL segment open and locked (exclusively, or shared when the segment began as
    /// a prepared spare); either lock refuses the exclusive one taken here. Resetting under a running server would move
    /// its data away while it writes.
    /// </summary>
    private static void EnsureStopped(DataDir dir)
    {
        var wal = new MemberDirectory(dir.EtcdMember).Wal;
        if (!Wal.Exists(wal))
        {
            return;
        }

        try
        {
            using var newest = File.Open(Path.Combine(wal, WalSegmentName.List(wal)[^1].FileName), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new BootstrapException($"the embedded datastore in {dir.Etcd} is in use by a running k3s server: stop it before --cluster-reset; nothing was changed");
        }
    }

    private static async Task<OfflineReplay.Result> ReadCurrentAsync(DataDir dir, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await OfflineReplay.ReadAsync(new MemberDirectory(dir.EtcdMember), logger, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WalCorruptException or SnapshotCorruptException or InvalidOperationException or InvalidDataException or IOException)
        {
            throw new BootstrapException($"cannot read this member's data in {dir.EtcdMember} to reset it: {e.Message}; nothing was changed. Restore a snapshot with --cluster-reset-restore-path instead");
        }
    }

    /// <summary>
    /// A snapshot is restored with the token of the cluster it came from: the data dir's <c>server/token</c> holds it
    /// (the certificates the cluster's objects were signed with sit beside it), and a <c>--token</c> must match it.
    /// </summary>
    private static void CheckToken(ServerSettings settings)
    {
        var file = settings.DataDir.TokenFile;
        if (!File.Exists(file))
        {
            throw new BootstrapException($"restoring a snapshot needs the data dir of a server of the cluster it was taken from, with its token and certificates, and {file} is missing; nothing was changed");
        }

        if (settings.Token is not { } given)
        {
            return;
        }

        var stored = JoinToken.Parse(File.ReadAllText(file).Trim());
        JoinToken token;
        try
        {
            token = JoinToken.Parse(given);
        }
        catch (FormatException e)
        {
            throw new BootstrapException($"--token: {e.Message}");
        }

        if (token.Password != stored.Password || (token.IsSecure && token.CaHash != stored.CaHash))
        {
            throw new BootstrapException($"the --token given does not match the token in {file}: restore with the token of the cluster the snapshot was taken from; nothing was changed");
        }
    }

    private static async Task ReplaceAsync(ServerSettings settings, ulong memberId, ulong clusterId, MvccState state, ILogger logger, CancellationToken cancellationToken)
    {
        var dir = settings.DataDir;
        var stamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var staging = Path.Combine(dir.ServerDb, $"etcd-new-{stamp}");
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        var name = File.Exists(dir.EtcdNameFile) && File.ReadAllText(dir.EtcdNameFile).Trim() is { Length: > 0 } stored
            ? stored
            : $"{settings.NodeName}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
        var peerUrl = $"https://{EmbeddedDatastore.UrlHost(settings.NodeIp)}:{EmbeddedDatastore.PeerPort}";
        await MemberRebuild.WriteAsync(new MemberDirectory(Path.Combine(staging, "member")), memberId, clusterId, [peerUrl], state, logger, cancellationToken).ConfigureAwait(false);
        AtomicFile.Write(Path.Combine(staging, "name"), name, AtomicFile.WorldReadable);

        if (Directory.Exists(dir.Etcd))
        {
            var old = Path.Combine(dir.ServerDb, $"etcd-old-{stamp}");
            Directory.Move(dir.Etcd, old);
            Log.MovedAside(logger, dir.Etcd, old);
        }

        Directory.Move(staging, dir.Etcd);
        DirectorySync.Fsync(dir.ServerDb);
        Log.Rebuilt(logger, name, memberId, clusterId, state.Revision);
    }
}
