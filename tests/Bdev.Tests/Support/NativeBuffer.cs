// A 4 KiB-aligned native buffer for test I/O (O_DIRECT needs aligned memory).
using System.Runtime.InteropServices;
using Target.Core.Memory;

namespace Target.Bdev.Tests.Support;

public sealed unsafe class NativeBuffer : IDisposable
{
    public NativeBuffer(int length)
    {
        Length = length;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, 4096);
        Span.Clear();
    }

    public byte* Pointer { get; private set; }
    public int Length { get; }
    public Span<byte> Span => new(Pointer, Length);

    public IoVec Vec(int offset = 0, int length = -1) => new(Pointer + offset, length < 0 ? Length - offset : length);

    public void Fill(int seed)
    {
        var rng = new Random(seed);
        rng.NextBytes(Span);
    }

    public void Dispose()
    {
        if (Pointer is null) return;
        NativeMemory.AlignedFree(Pointer);
        Pointer = null;
    }
}
