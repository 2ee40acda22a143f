using System.Security.Cryptography;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Replication.Storage;

namespace K3sLab.K3s.Server.Snapshots;

/// <summary>
/// A datastore snapshot file: exactly what the etcd Maintenance.Snapshot stream of this store carries (so
/// <c>etcdctl snapshot save</c> writes the same file), the store state padded with zeros to a multiple of 512 bytes
/// (see <see cref="MaintenanceService.SnapshotAlignment"/>) followed by a SHA-256 of it, as etcd appends the hash to
/// its database copy. Files are written to a temporary name, fsynced and renamed, so a crash never
/// leaves half a snapshot under a snapshot's name.
/// </summary>
internal static class DatastoreSnapshotFile
{
    private const int HashBytes = 32;

    /// <summary>Writes the state <paramref name="writeState"/> produces, then its hash, to <paramref name="path"/>.</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> writeState, CancellationToken cancellationToken)
    {
        var temporary = Temporary(path);
        try
        {
            await using (var file = Create(temporary))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                await using (var hashing = new HashingStream(file, hash))
                {
                    await writeState(hashing, cancellationToken).ConfigureAwait(false);
                    await hashing.WriteAsync(new byte[MaintenanceService.SnapshotPadding(hashing.Written)], cancellationToken).ConfigureAwait(false);
                }

                await file.WriteAsync(hash.GetHashAndReset(), cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            Publish(temporary, path);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Writes a snapshot stream that already ends with its hash (etcd's Maintenance.Snapshot), checks it as
    /// <see cref="Read"/> does, and only then gives it its name.
    /// </summary>
    public static async Task CopyVerifiedAsync(string path, Func<Stream, CancellationToken, Task> writeStream, CancellationToken cancellationToken)
    {
        var temporary = Temporary(path);
        try
        {
            await using (var file = Create(temporary))
            {
                await writeStream(file, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            _ = Read(temporary);
            Publish(temporary, path);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Checks the hash and decodes the state; anything else is a <see cref="SnapshotFileException"/> naming the file.</summary>
    public static MvccState Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new SnapshotFileException($"{path} does not exist");
        }

        using var file = File.OpenRead(path);
        if (file.Length < HashBytes + 8)
        {
            throw new SnapshotFileException($"{path} is not a datastore snapshot: it is too short ({file.Length} bytes)");
        }

        var stateLength = file.Length - HashBytes;
        using (var state = new BoundedStream(file, stateLength))
        {
            var computed = SHA256.HashData(state);
            Span<byte> stored = stackalloc byte[HashBytes];
            file.ReadExactly(stored);
            if (!stored.SequenceEqual(computed))
            {
                throw new SnapshotFileException($"{path} is not a datastore snapshot, or it is damaged: its SHA-256 trailer does not match its contents");
            }
        }

        file.Position = 0;
        try
        {
            return MvccState.ReadSnapshot(new BoundedStream(file, stateLength));
        }
        catch (InvalidDataException e)
        {
            throw new SnapshotFileException($"{path} is not a snapshot of this datastore: {e.Message}");
        }
    }

    private static string Temporary(string path) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.part");

    private static FileStream Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
    }

    private static void Publish(string temporary, string path)
    {
        File.Move(temporary, path, overwrite: false);
        DirectorySync.Fsync(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
