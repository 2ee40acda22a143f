using System.Text;
using K3sLab.K3s.Replication.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Replication.Storage;

/// <summary>A member directory in a temp folder, removed afterwards, with helpers to write, damage and reopen its WAL.</summary>
internal sealed class TempWal : IDisposable
{
    private readonly DirectoryInfo _root;
    private readonly bool _owned;

    public TempWal(WalOptions? options = null, string? root = null)
    {
        _owned = root is null;
        _root = root is null ? Directory.CreateTempSubdirectory("k3slab-wal-") : new DirectoryInfo(root);
        Member = new MemberDirectory(Path.Combine(_root.FullName, "member"));
        // Segments that grow with each append by default, so tests can damage and inspect every byte; the
        // preallocated layout the runtime uses has its own tests (WalPreallocationTests).
        Options = options ?? WalOptions.Default with { SegmentSize = 1024 * 1024, Preallocate = false };
    }

    public MemberDirectory Member { get; }

    public WalOptions Options { get; }

    public string WalDir => Member.Wal;

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static WalEntry E(ulong index, ulong term, string data = "") => new(index, term, 0, Encoding.UTF8.GetBytes(data == "" ? $"entry {index}" : data));

    public static string S(WalEntry e) => Encoding.UTF8.GetString(e.Data.Span);

    public Wal Create() => Wal.Create(WalDir, 0x11, 0x22, Options, NullLogger.Instance);

    public Task<OpenedWal> OpenAsync() => Wal.OpenAsync(WalDir, Options, NullLogger.Instance, Ct);

    /// <summary>The only or the last segment file.</summary>
    public string LastSegment => Directory.GetFiles(WalDir, "*.wal").Order(StringComparer.Ordinal).Last();

    /// <summary>The byte offset of every record in a segment (the header is record 0), up to a preallocated segment's zeroed rest.</summary>
    public static List<int> RecordOffsets(byte[] file)
    {
        var offsets = new List<int>();
        var at = 0;
        uint crc = 0;
        while (at < file.Length)
        {
            var frame = WalCodec.ReadFrame(file, at, crc, 1 << 26);
            if (frame.Status == WalFrameStatus.Zero && !file.AsSpan(at).ContainsAnyExcept((byte)0))
            {
                break;
            }

            frame.Status.Should().Be(WalFrameStatus.Valid);
            offsets.Add(at);
            crc = frame.StoredCrc;
            at += frame.Size;
        }

        return offsets;
    }

    public void Dispose()
    {
        if (_owned)
        {
            _root.Delete(recursive: true);
        }
    }
}
