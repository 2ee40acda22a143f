using System.Text;

namespace K3sLab.K3s.Store.Sql.Sqlite;

/// <summary>
/// The datastore endpoint and file checks made before SQLite touches anything, so that a wrong path fails with
/// one sentence instead of a SQLite error code: <c>sqlite://</c> followed by a path (k3s's
/// <c>sqlite:///var/lib/rancher/k3s/server/db/state.db?_journal=WAL</c> form; query options are kine's driver
/// settings and are ignored, this store always runs WAL with full fsync).
/// </summary>
internal static class SqliteFile
{
    private static readonly byte[] Header = Encoding.ASCII.GetBytes("SQLite format 3\0");

    public static string PathFromEndpoint(string endpoint)
    {
        const string scheme = "sqlite://";
        if (!endpoint.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new StoreException(StoreError.NotSupported, $"datastore endpoint '{endpoint}' is not a sqlite:// endpoint");
        }

        var path = endpoint[scheme.Length..];
        var query = path.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            path = path[..query];
        }

        if (path.Length == 0)
        {
            throw new StoreException(StoreError.NotSupported, $"datastore endpoint '{endpoint}' names no file: use sqlite:///path/to/state.db");
        }

        return Path.GetFullPath(path);
    }

    /// <summary>
    /// SQLite opens a read-only file or folder and fails only later, or with "unable to open database file". Probe
    /// first: the store must be able to write its file, its WAL and its shared-memory index beside it.
    /// </summary>
    private static void CheckWritable(string folder, string path)
    {
        var probe = Path.Combine(folder, $".k3s-write-probe-{Environment.ProcessId}");
        try
        {
            using (File.Open(probe, FileMode.Create, FileAccess.Write, FileShare.None))
            {
            }

            File.Delete(probe);
            if (File.Exists(path))
            {
                using var file = File.Open(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException(StoreError.Unavailable, $"the datastore at {path} is not writable ({e.Message}); the store writes its file, its WAL and its shared-memory index in {folder}");
        }
    }

    /// <summary>Creates the folder if needed and refuses a file that exists but is not a SQLite database or cannot be written.</summary>
    public static void Check(string path)
    {
        var folder = Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException(StoreError.Unavailable, $"cannot create the datastore folder {folder}: {e.Message}", e);
        }

        if (Directory.Exists(path))
        {
            throw new StoreException(StoreError.Unavailable, $"the datastore path {path} is a folder; point the endpoint at a file such as {Path.Combine(path, "state.db")}");
        }

        CheckWritable(folder, path);
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            return;
        }

        var head = new byte[Header.Length];
        int read;
        try
        {
            using var file = File.OpenRead(path);
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException(StoreError.Unavailable, $"cannot read the datastore file {path}: {e.Message}", e);
        }

        if (read < Header.Length || !head.AsSpan().SequenceEqual(Header))
        {
            throw new StoreException(StoreError.Unavailable, $"{path} is not a SQLite database; refusing to overwrite it. Move it away or point the endpoint at another file");
        }
    }
}
