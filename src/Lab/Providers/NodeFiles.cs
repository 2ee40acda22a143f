using System.Formats.Tar;

namespace K3sLab.Lab.Providers;

/// <summary>
/// Node files as the tar streams Docker's archive API takes and gives: <see cref="Archive"/> packs files under their
/// absolute paths (Docker creates missing parent folders), <see cref="ReadAsync"/> reads an archive Docker returned
/// for a path back into files.
/// </summary>
internal static class NodeFiles
{
    public static MemoryStream Archive(IEnumerable<NodeFile> files)
    {
        var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files)
            {
                if (!file.Path.StartsWith('/'))
                {
                    throw new ArgumentException($"a node file path is absolute: '{file.Path}'", nameof(files));
                }

                using var content = new MemoryStream(file.Content, writable: false);
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, file.Path.TrimStart('/')) { Mode = file.Mode, DataStream = content });
            }
        }

        buffer.Position = 0;
        return buffer;
    }

    /// <summary>The regular files in <paramref name="archive"/>, placed under <paramref name="folder"/> (Docker names entries relative to the requested path's parent).</summary>
    public static async Task<IReadOnlyList<NodeFile>> ReadAsync(Stream archive, string folder, CancellationToken cancellationToken)
    {
        var files = new List<NodeFile>();
        await using var reader = new TarReader(archive);
        while (await reader.GetNextEntryAsync(copyData: true, cancellationToken) is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } data)
            {
                using var copy = new MemoryStream();
                await data.CopyToAsync(copy, cancellationToken);
                files.Add(new NodeFile($"{folder.TrimEnd('/')}/{(entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name)}", copy.ToArray(), entry.Mode));
            }
        }

        return files;
    }
}
