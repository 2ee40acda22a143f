using System.Buffers;

namespace K3sLab.K3s.Etcd.Http2;

/// <summary>
/// The client-to-server byte stream of one HTTP/2 connection, rewritten on its way to the server: the preface and
/// every frame pass through unchanged except header blocks (HEADERS and its CONTINUATIONs), which are re-encoded by
/// <see cref="HeaderBlockRewriter"/> and re-framed as HEADERS + CONTINUATION of at most
/// <see cref="Http2Frame.DefaultMaxFrameSize"/> octets, without padding or priority fields. Payloads of other frames
/// are copied without being buffered whole.
/// </summary>
/// <remarks>
/// Anything it cannot make sense of (no preface, a malformed or oversized header block, a header block interrupted
/// by another frame) is forwarded as received, and from then on everything passes through unchanged, for the server
/// to refuse as it would without this rewriter. Pure: no IO, not thread-safe, one per connection.
/// </remarks>
internal sealed class ClientFrameRewriter
{
    /// <summary>The largest header block buffered (its frames as received); a larger one is passed through.</summary>
    public const int MaxBlockBytes = 256 * 1024;

    private readonly HeaderBlockRewriter _rewriter = new();
    private State _state = State.Preface;
    private long _payloadRemaining;
    private byte[] _raw = new byte[1024];
    private int _rawLength;
    private byte[] _block = new byte[1024];
    private int _blockLength;
    private int _blockStream;
    private byte _blockEndStream;

    private enum State
    {
        Preface,
        FrameHeader,
        Payload,
        Continuation,
        PassThrough,
    }

    /// <summary>Why the rewriter stopped rewriting, once it has; null while it rewrites.</summary>
    public string? PassThroughReason { get; private set; }

    /// <summary>
    /// Consumes what it can of <paramref name="input"/>, writing the result to <paramref name="output"/>, and returns
    /// how far it consumed; the rest is an incomplete preface or header frame, to be offered again with more bytes.
    /// </summary>
    public SequencePosition Process(ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        var reader = new SequenceReader<byte>(input);
        Span<byte> header = stackalloc byte[Http2Frame.HeaderLength];
        Span<byte> start = stackalloc byte[Http2Frame.ClientPreface.Length];
        while (true)
        {
            switch (_state)
            {
                case State.PassThrough:
                    Copy(ref reader, reader.Remaining, output);
                    return reader.Position;

                case State.Payload:
                    if (reader.End)
                    {
                        return reader.Position;
                    }

                    var chunk = Math.Min(_payloadRemaining, reader.Remaining);
                    Copy(ref reader, chunk, output);
                    _payloadRemaining -= chunk;
                    if (_payloadRemaining == 0)
                    {
                        _state = State.FrameHeader;
                    }

                    break;

                case State.Preface:
                    var preface = Http2Frame.ClientPreface;
                    var available = (int)Math.Min(reader.Remaining, preface.Length);
                    reader.TryCopyTo(start[..available]);
                    if (!start[..available].SequenceEqual(preface[..available]))
                    {
                        PassThrough("the connection does not start with the HTTP/2 client preface");
                    }
                    else if (available < preface.Length)
                    {
                        return reader.Position;
                    }
                    else
                    {
                        Copy(ref reader, preface.Length, output);
                        _state = State.FrameHeader;
                    }

                    break;

                default:
                    if (!reader.TryCopyTo(header))
                    {
                        return reader.Position;
                    }

                    var frame = Http2Frame.Read(header);
                    if (_state == State.Continuation)
                    {
                        if (!TryContinue(ref reader, frame, output, out var wait))
                        {
                            break;
                        }

                        if (wait)
                        {
                            return reader.Position;
                        }
                    }
                    else if (frame.Type == Http2Frame.Headers)
                    {
                        if (!TryStartBlock(ref reader, frame, output, out var wait))
                        {
                            break;
                        }

                        if (wait)
                        {
                            return reader.Position;
                        }
                    }
                    else
                    {
                        Copy(ref reader, Http2Frame.HeaderLength, output);
                        _payloadRemaining = frame.Length;
                        _state = frame.Length == 0 ? State.FrameHeader : State.Payload;
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// The connection's input ended: whatever is buffered and <paramref name="rest"/> (an incomplete frame) go to the
    /// server as they are, for it to see the same truncated stream.
    /// </summary>
    public void Complete(ReadOnlySequence<byte> rest, IBufferWriter<byte> output)
    {
        output.Write(_raw.AsSpan(0, _rawLength));
        _rawLength = 0;
        foreach (var segment in rest)
        {
            output.Write(segment.Span);
        }
    }

    /// <summary>A HEADERS frame: false when it was given up on (passed through); <paramref name="wait"/> when it is incomplete.</summary>
    private bool TryStartBlock(ref SequenceReader<byte> reader, Http2Frame frame, IBufferWriter<byte> output, out bool wait)
    {
        wait = false;
        if (frame.Length > MaxBlockBytes)
        {
            PassThrough("a HEADERS frame is larger than " + MaxBlockBytes + " octets");
            return false;
        }

        if (reader.Remaining < Http2Frame.HeaderLength + frame.Length)
        {
            wait = true;
            return true;
        }

        _rawLength = 0;
        _blockLength = 0;
        var payload = AppendRaw(ref reader, frame.Length);
        var fragment = payload;
        if ((frame.Flags & Http2Frame.Padded) != 0)
        {
            // RFC 9113 section 6.2: Pad Length, then (with PRIORITY) 5 octets of dependency and weight, the fragment, the padding.
            var padding = fragment.IsEmpty ? -1 : fragment[0];
            fragment = fragment.IsEmpty ? fragment : fragment[1..];
            if (padding < 0 || padding > fragment.Length)
            {
                return GiveUpBlock(output, "a HEADERS frame's padding is longer than its payload");
            }

            fragment = fragment[..^padding];
        }

        if ((frame.Flags & Http2Frame.Priority) != 0)
        {
            if (fragment.Length < 5)
            {
                return GiveUpBlock(output, "a HEADERS frame is too short for its priority fields");
            }

            fragment = fragment[5..];
        }

        if (frame.StreamId == 0)
        {
            return GiveUpBlock(output, "a HEADERS frame is on stream 0");
        }

        _blockStream = frame.StreamId;
        _blockEndStream = (byte)(frame.Flags & Http2Frame.EndStream);
        AppendBlock(fragment);
        if ((frame.Flags & Http2Frame.EndHeaders) != 0)
        {
            return FinishBlock(output);
        }

        _state = State.Continuation;
        return true;
    }

    /// <summary>The frame after a HEADERS without END_HEADERS: it must be a CONTINUATION of the same stream (section 6.10).</summary>
    private bool TryContinue(ref SequenceReader<byte> reader, Http2Frame frame, IBufferWriter<byte> output, out bool wait)
    {
        wait = false;
        if (frame.Type != Http2Frame.Continuation || frame.StreamId != _blockStream)
        {
            return GiveUpBlock(output, "a header block is interrupted by another frame");
        }

        if (_rawLength + Http2Frame.HeaderLength + frame.Length > MaxBlockBytes)
        {
            return GiveUpBlock(output, "a header block is larger than " + MaxBlockBytes + " octets");
        }

        if (reader.Remaining < Http2Frame.HeaderLength + frame.Length)
        {
            wait = true;
            return true;
        }

        AppendBlock(AppendRaw(ref reader, frame.Length));
        return (frame.Flags & Http2Frame.EndHeaders) == 0 || FinishBlock(output);
    }

    private bool FinishBlock(IBufferWriter<byte> output)
    {
        if (!_rewriter.TryRewrite(_block.AsSpan(0, _blockLength)))
        {
            return GiveUpBlock(output, "a header block is not valid HPACK or decodes to more than " + HeaderBlockRewriter.MaxOutputBytes + " octets");
        }

        var block = _rewriter.Output;
        var type = Http2Frame.Headers;
        var flags = _blockEndStream;
        do
        {
            var length = Math.Min(block.Length, Http2Frame.DefaultMaxFrameSize);
            var last = length == block.Length;
            var destination = output.GetSpan(Http2Frame.HeaderLength + length);
            new Http2Frame(length, type, (byte)(flags | (last ? Http2Frame.EndHeaders : 0)), _blockStream).Write(destination);
            block[..length].CopyTo(destination[Http2Frame.HeaderLength..]);
            output.Advance(Http2Frame.HeaderLength + length);
            block = block[length..];
            type = Http2Frame.Continuation;
            flags = 0;
        }
        while (!block.IsEmpty);

        _rawLength = 0;
        _blockLength = 0;
        _state = State.FrameHeader;
        return true;
    }

    /// <summary>Forwards the block's frames as received and stops rewriting; false, for the callers to return.</summary>
    private bool GiveUpBlock(IBufferWriter<byte> output, string reason)
    {
        output.Write(_raw.AsSpan(0, _rawLength));
        _rawLength = 0;
        _blockLength = 0;
        PassThrough(reason);
        return false;
    }

    private void PassThrough(string reason)
    {
        PassThroughReason = reason;
        _state = State.PassThrough;
    }

    /// <summary>Moves one whole frame from the reader to the raw buffer; returns its payload there.</summary>
    private Span<byte> AppendRaw(ref SequenceReader<byte> reader, int payloadLength)
    {
        var length = Http2Frame.HeaderLength + payloadLength;
        EnsureCapacity(ref _raw, _rawLength + length);
        var frame = _raw.AsSpan(_rawLength, length);
        reader.TryCopyTo(frame);
        reader.Advance(length);
        _rawLength += length;
        return frame[Http2Frame.HeaderLength..];
    }

    private void AppendBlock(ReadOnlySpan<byte> fragment)
    {
        EnsureCapacity(ref _block, _blockLength + fragment.Length);
        fragment.CopyTo(_block.AsSpan(_blockLength));
        _blockLength += fragment.Length;
    }

    private static void EnsureCapacity(ref byte[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            Array.Resize(ref buffer, Math.Max(length, buffer.Length * 2));
        }
    }

    private static void Copy(ref SequenceReader<byte> reader, long count, IBufferWriter<byte> output)
    {
        while (count > 0)
        {
            var span = reader.UnreadSpan;
            var n = (int)Math.Min(span.Length, count);
            output.Write(span[..n]);
            reader.Advance(n);
            count -= n;
        }
    }
}
