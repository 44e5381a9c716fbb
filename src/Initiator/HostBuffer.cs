// A 4 KiB-aligned native data buffer (NativeMemory.AlignedAlloc) for command data: stable address,
// no pinning, suitable for O_DIRECT-style consumers. Allocate at setup, reuse per I/O, Dispose once.
using System.Runtime.InteropServices;

namespace Target.Initiator;

public sealed unsafe class HostBuffer : IDisposable
{
    public const int Alignment = 4096;
    private byte* _pointer;

    public HostBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, Alignment);
        NativeMemory.Clear(_pointer, (nuint)length);
    }

    public int Length { get; }
    public nint Address => (nint)_pointer;
    public Span<byte> Span => new(_pointer, Length);

    public Span<byte> Slice(int offset, int length) => Span.Slice(offset, length);

    public void Dispose()
    {
        if (_pointer == null) return;
        NativeMemory.AlignedFree(_pointer);
        _pointer = null;
    }
}
