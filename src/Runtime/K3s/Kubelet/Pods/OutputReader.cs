using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Reads one output of an exec'd command (a pipe's read end, or a terminal's master end) on a thread of its own,
/// into a pipe that <see cref="Output"/> reads. Reading does not wait for the thread pool or for whoever forwards
/// the output, so what the command wrote before it exited is taken in as soon as it is written: a deadline set
/// after the exit (<see cref="StopWhenIdleAfter"/>) can only cut off output a background child writes later, never
/// output the command itself wrote. A terminal reports its end with EIO once its last slave end is closed, a pipe
/// with end of file once its last writer is gone.
/// </summary>
internal sealed partial class OutputReader : IDisposable
{
    private const short PollIn = 0x1;
    private const int EIntr = 4, EIo = 5, EAgain = 11;
    private const int PollMilliseconds = 50;

    /// <summary>After the deadline, output that keeps coming is still taken for this long, then reading stops.</summary>
    private static readonly TimeSpan LastDrain = TimeSpan.FromSeconds(1);

    private readonly SafeHandle _descriptor;
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
    private readonly TaskCompletionSource<bool> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private long _deadline = long.MaxValue;
    private volatile bool _disposed;

    private OutputReader(SafeHandle descriptor, string name)
    {
        _descriptor = descriptor;
        Output = _pipe.Reader.AsStream();
        _thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    /// <summary>What was read, in order; ends after the last byte read.</summary>
    public Stream Output { get; }

    /// <summary>
    /// Completes when reading has stopped and everything read is in <see cref="Output"/>: true at the output's end,
    /// false when it stopped at the deadline (or on disposal) with the output still open.
    /// </summary>
    public Task<bool> Ended => _ended.Task;

    /// <summary>Starts reading <paramref name="descriptor"/>, which must stay open until this reader is disposed.</summary>
    public static OutputReader Start(SafeHandle descriptor, string name)
    {
        var reader = new OutputReader(descriptor, name);
        reader._thread.Start();
        return reader;
    }

    /// <summary>
    /// Stops reading once nothing has come for a moment after <paramref name="grace"/> from now (at most
    /// <see cref="LastDrain"/> later), unless the output ends first.
    /// </summary>
    public void StopWhenIdleAfter(TimeSpan grace) =>
        Interlocked.Exchange(ref _deadline, Stopwatch.GetTimestamp() + (long)(grace.TotalSeconds * Stopwatch.Frequency));

    /// <summary>
    /// Stops reading; whoever reads <see cref="Output"/> then sees its end after what was already read (the pipe's
    /// reading side is left to them, so a read in progress is never cut from under them).
    /// </summary>
    public void Dispose()
    {
        _disposed = true;
        _pipe.Writer.CancelPendingFlush();
        if (_thread.IsAlive && _thread.ManagedThreadId != Environment.CurrentManagedThreadId)
        {
            // The thread polls every 50 ms, a read it starts has data waiting, and a flush waiting for room is
            // cancelled above, so it ends promptly.
            _thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    private void Run()
    {
        var reachedEnd = false;
        var added = false;
        try
        {
            _descriptor.DangerousAddRef(ref added);
            reachedEnd = Pump((int)_descriptor.DangerousGetHandle());
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException)
        {
            // The descriptor was closed before reading began, or poll or read failed: nothing more to deliver.
        }
        finally
        {
            if (added)
            {
                _descriptor.DangerousRelease();
            }

            _pipe.Writer.Complete();
            _ended.TrySetResult(reachedEnd);
        }
    }

    /// <returns>True at the output's end, false when reading stopped before it.</returns>
    private bool Pump(int fd)
    {
        var buffer = new byte[32 * 1024];
        var poll = new PollFd { Fd = fd, Events = PollIn };
        while (!_disposed)
        {
            var deadline = Interlocked.Read(ref _deadline);
            var now = Stopwatch.GetTimestamp();
            if (deadline != long.MaxValue && now - deadline > (long)(LastDrain.TotalSeconds * Stopwatch.Frequency))
            {
                return false;
            }

            var ready = Poll(ref poll, 1, PollMilliseconds);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr)
                {
                    continue;
                }

                throw new IOException($"poll failed: errno {Marshal.GetLastPInvokeError()}");
            }

            if (ready == 0)
            {
                if (now >= deadline)
                {
                    return false;
                }

                continue;
            }

            // Readable, hung up or in error: read says which.
            var n = Read(fd, ref MemoryMarshal.GetArrayDataReference(buffer), (nuint)buffer.Length);
            if (n > 0)
            {
                _pipe.Writer.Write(buffer.AsSpan(0, (int)n));
                var flushed = _pipe.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    // Nobody reads any more, or this reader is being disposed.
                    return false;
                }

                continue;
            }

            if (n == 0)
            {
                return true;
            }

            switch (Marshal.GetLastPInvokeError())
            {
                case EIntr or EAgain:
                    continue;
                case EIo:
                    // A terminal whose last slave end is closed.
                    return true;
                case var errno:
                    throw new IOException($"read failed: errno {errno}");
            }
        }

        return false;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, ref byte buffer, nuint count);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
