// A managed string as the NUL-terminated UTF-8 bytes C expects (paths, memfd names), so imports
// stay blittable instead of using StringMarshalling.Utf8: in a caller's stack buffer when it fits,
// in a pooled array otherwise. Use with `using` and `fixed (byte* p = value)`.
using System.Buffers;
using System.Text;

namespace Target.Core.Interop;

public ref struct NulTerminatedUtf8
{
    /// <summary>A stack buffer size that holds any ordinary path (PATH_MAX is 4096, most are far shorter).</summary>
    public const int StackSize = 256;

    private readonly Span<byte> _bytes;
    private byte[]? _rented;

    public NulTerminatedUtf8(string value, Span<byte> stackBuffer)
    {
        ArgumentNullException.ThrowIfNull(value);
        Span<byte> buffer = Encoding.UTF8.GetMaxByteCount(value.Length) + 1 <= stackBuffer.Length
            ? stackBuffer
            : (_rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(value) + 1));
        int written = Encoding.UTF8.GetBytes(value, buffer);
        buffer[written] = 0;
        _bytes = buffer[..(written + 1)];
    }

    /// <summary>The bytes including the terminating NUL.</summary>
    public readonly ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Lets <c>fixed (byte* p = value)</c> pin the first byte.</summary>
    public readonly ref byte GetPinnableReference() => ref _bytes[0];

    public void Dispose()
    {
        if (_rented is null) return;
        ArrayPool<byte>.Shared.Return(_rented);
        _rented = null;
    }
}
