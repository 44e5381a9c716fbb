// A 4 KiB-aligned native buffer standing in for guest memory.
using System.Runtime.InteropServices;

namespace Scsi.Tests.Support;

public sealed unsafe class NativeBuffer : IDisposable
{
    public NativeBuffer(int length)
    {
        Length = length;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(length, 1), 4096);
        Span.Clear();
    }

    public byte* Pointer { get; private set; }
    public int Length { get; }
    public Span<byte> Span => new(Pointer, Length);
    public nint Address => (nint)Pointer;

    public void Fill(int seed) => new Random(seed).NextBytes(Span);

    public void Dispose()
    {
        if (Pointer is null) return;
        NativeMemory.AlignedFree(Pointer);
        Pointer = null;
    }
}
