using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace K3sLab.K3s.Bootstrap;

/// <summary>
/// The scrypt key derivation function of RFC 7914 (PBKDF2-HMAC-SHA256 around ROMix with the Salsa20/8 core), which
/// the BCL lacks; k3s hashes node passwords with it. Written from the RFC's definitions.
/// </summary>
internal static partial class Scrypt
{
    private const nuint HugePage = 2 << 20;
    private const int MadviseHugePage = 14;

    /// <param name="password">P.</param>
    /// <param name="salt">S.</param>
    /// <param name="cost">N, the CPU/memory cost: a power of two above 1.</param>
    /// <param name="blockSize">r.</param>
    /// <param name="parallelism">p.</param>
    /// <param name="length">dkLen in bytes.</param>
    public static byte[] DeriveKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int cost, int blockSize, int parallelism, int length)
    {
        if (cost < 2 || !BitOperations.IsPow2(cost))
        {
            throw new ArgumentOutOfRangeException(nameof(cost), cost, "N must be a power of two above 1");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        var chunk = 128 * blockSize;
        var b = Rfc2898DeriveBytes.Pbkdf2(password, salt, 1, HashAlgorithmName.SHA256, parallelism * chunk);
        var words = new uint[chunk / 4];

        // V is 128·r·N bytes (32 MiB for k3s's N = 2^15, r = 8). It lives outside the GC heap and is wiped and freed
        // at once: a burst of joins would otherwise leave the server's RSS hundreds of MiB up, as the large-object
        // heap keeps what it grew to (measured: 43 MiB idle, 374 MiB after 16 node-password checks).
        var scratchLength = (nuint)(cost + 2) * (nuint)(chunk / 4);
        var scratch = AllocateScratch(scratchLength);
        try
        {
            for (var i = 0; i < parallelism; i++)
            {
                var block = b.AsSpan(i * chunk, chunk);
                for (var w = 0; w < words.Length; w++)
                {
                    words[w] = BinaryPrimitives.ReadUInt32LittleEndian(block[(w * 4)..]);
                }

                RoMix(words, cost, blockSize, Scratch(scratch, scratchLength));
                for (var w = 0; w < words.Length; w++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(block[(w * 4)..], words[w]);
                }
            }
        }
        finally
        {
            FreeScratch(scratch, scratchLength);
        }

        return Rfc2898DeriveBytes.Pbkdf2(password, b, 1, HashAlgorithmName.SHA256, length);
    }

    /// <summary>
    /// V on 2 MiB boundaries, with transparent huge pages asked for where Linux offers them on request (the common
    /// <c>madvise</c> setting): ROMix reads V at random, and with 4 KiB pages nearly every read missed the TLB.
    /// Measured on the lab VM: 185 ms of CPU per k3s node-password check before, 70 ms after. Without huge pages the
    /// advice fails quietly and V works as before.
    /// </summary>
    private static unsafe nint AllocateScratch(nuint length)
    {
        var bytes = length * sizeof(uint);
        var scratch = NativeMemory.AlignedAlloc(bytes, HugePage);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                _ = Madvise((nint)scratch, bytes, MadviseHugePage);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // Not glibc: V works on normal pages.
            }
        }

        return (nint)scratch;
    }

    [LibraryImport("libc.so.6", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);

    private static unsafe Span<uint> Scratch(nint scratch, nuint length) => new((void*)scratch, checked((int)length));

    private static unsafe void FreeScratch(nint scratch, nuint length)
    {
        NativeMemory.Clear((void*)scratch, length * sizeof(uint));
        NativeMemory.AlignedFree((void*)scratch);
    }

    /// <summary>scryptROMix: fills V with N successive BlockMix outputs, then mixes in N pseudo-randomly chosen ones.</summary>
    private static void RoMix(uint[] x, int n, int r, Span<uint> scratch)
    {
        var size = 32 * r;
        var v = scratch[..(n * size)];
        var y = scratch.Slice(n * size, size);
        var t = scratch.Slice((n + 1) * size, size);
        for (var i = 0; i < n; i++)
        {
            x.CopyTo(v.Slice(i * size, size));
            BlockMix(x, y, r);
            y.CopyTo(x);
        }

        for (var i = 0; i < n; i++)
        {
            // Integerify: the first word of the last 64-byte block, modulo N (a power of two).
            var j = (int)(x[(2 * r - 1) * 16] & (uint)(n - 1));
            var vj = v.Slice(j * size, size);
            for (var k = 0; k < size; k++)
            {
                t[k] = x[k] ^ vj[k];
            }

            BlockMix(t, y, r);
            y.CopyTo(x);
        }
    }

    /// <summary>scryptBlockMix: chains Salsa20/8 over the 2r blocks, writing even outputs first, then odd ones.</summary>
    private static void BlockMix(ReadOnlySpan<uint> input, Span<uint> output, int r)
    {
        Span<uint> x = stackalloc uint[16];
        input.Slice((2 * r - 1) * 16, 16).CopyTo(x);
        for (var i = 0; i < 2 * r; i++)
        {
            var block = input.Slice(i * 16, 16);
            for (var k = 0; k < 16; k++)
            {
                x[k] ^= block[k];
            }

            Salsa208(x);
            var target = (i % 2 == 0 ? i / 2 : r + i / 2) * 16;
            x.CopyTo(output.Slice(target, 16));
        }
    }

    /// <summary>The Salsa20/8 core: four double rounds (column round, then row round), then the input added back.</summary>
    private static void Salsa208(Span<uint> b)
    {
        uint x0 = b[0], x1 = b[1], x2 = b[2], x3 = b[3], x4 = b[4], x5 = b[5], x6 = b[6], x7 = b[7];
        uint x8 = b[8], x9 = b[9], x10 = b[10], x11 = b[11], x12 = b[12], x13 = b[13], x14 = b[14], x15 = b[15];
        for (var round = 0; round < 8; round += 2)
        {
            x4 ^= BitOperations.RotateLeft(x0 + x12, 7); x8 ^= BitOperations.RotateLeft(x4 + x0, 9);
            x12 ^= BitOperations.RotateLeft(x8 + x4, 13); x0 ^= BitOperations.RotateLeft(x12 + x8, 18);
            x9 ^= BitOperations.RotateLeft(x5 + x1, 7); x13 ^= BitOperations.RotateLeft(x9 + x5, 9);
            x1 ^= BitOperations.RotateLeft(x13 + x9, 13); x5 ^= BitOperations.RotateLeft(x1 + x13, 18);
            x14 ^= BitOperations.RotateLeft(x10 + x6, 7); x2 ^= BitOperations.RotateLeft(x14 + x10, 9);
            x6 ^= BitOperations.RotateLeft(x2 + x14, 13); x10 ^= BitOperations.RotateLeft(x6 + x2, 18);
            x3 ^= BitOperations.RotateLeft(x15 + x11, 7); x7 ^= BitOperations.RotateLeft(x3 + x15, 9);
            x11 ^= BitOperations.RotateLeft(x7 + x3, 13); x15 ^= BitOperations.RotateLeft(x11 + x7, 18);

            x1 ^= BitOperations.RotateLeft(x0 + x3, 7); x2 ^= BitOperations.RotateLeft(x1 + x0, 9);
            x3 ^= BitOperations.RotateLeft(x2 + x1, 13); x0 ^= BitOperations.RotateLeft(x3 + x2, 18);
            x6 ^= BitOperations.RotateLeft(x5 + x4, 7); x7 ^= BitOperations.RotateLeft(x6 + x5, 9);
            x4 ^= BitOperations.RotateLeft(x7 + x6, 13); x5 ^= BitOperations.RotateLeft(x4 + x7, 18);
            x11 ^= BitOperations.RotateLeft(x10 + x9, 7); x8 ^= BitOperations.RotateLeft(x11 + x10, 9);
            x9 ^= BitOperations.RotateLeft(x8 + x11, 13); x10 ^= BitOperations.RotateLeft(x9 + x8, 18);
            x12 ^= BitOperations.RotateLeft(x15 + x14, 7); x13 ^= BitOperations.RotateLeft(x12 + x15, 9);
            x14 ^= BitOperations.RotateLeft(x13 + x12, 13); x15 ^= BitOperations.RotateLeft(x14 + x13, 18);
        }

        b[0] += x0; b[1] += x1; b[2] += x2; b[3] += x3; b[4] += x4; b[5] += x5; b[6] += x6; b[7] += x7;
        b[8] += x8; b[9] += x9; b[10] += x10; b[11] += x11; b[12] += x12; b[13] += x13; b[14] += x14; b[15] += x15;
    }
}
