// Guest memory for ring unit tests: one zeroed native block at a guest base address, with optional
// holes (unmapped) and read-only ranges, translated like the DMA map (prefix within one piece).
using System.Runtime.InteropServices;
using Target.Virtio.Ring;

namespace Virtio.Tests.Support;

public sealed unsafe class FakeGuestMemory : IGuestMemory, IDisposable
{
    private readonly List<(ulong Start, ulong End)> _holes = new();
    private readonly List<(ulong Start, ulong End)> _readOnly = new();
    private readonly List<ulong> _splits = new();

    public FakeGuestMemory(ulong baseGpa, ulong size)
    {
        Base = baseGpa;
        Size = size;
        Host = (nint)NativeMemory.AllocZeroed((nuint)size);
    }

    public ulong Base { get; }
    public ulong Size { get; }
    public nint Host { get; private set; }

    public void AddHole(ulong gpa, ulong length) => _holes.Add((gpa, gpa + length));
    public void AddReadOnly(ulong gpa, ulong length) => _readOnly.Add((gpa, gpa + length));
    /// <summary>A region boundary at <paramref name="gpa"/>: translations stop there (two adjacent DMA maps).</summary>
    public void AddSplit(ulong gpa) => _splits.Add(gpa);

    public bool TryTranslate(ulong gpa, ulong length, bool write, out nint host, out ulong contiguous)
    {
        host = 0;
        contiguous = 0;
        if (length == 0 || gpa < Base || gpa - Base >= Size) return false;
        foreach (var (s, e) in _holes) if (gpa >= s && gpa < e) return false;
        if (write) foreach (var (s, e) in _readOnly) if (gpa >= s && gpa < e) return false;
        ulong end = Math.Min(gpa + length < gpa ? ulong.MaxValue : gpa + length, Base + Size);
        foreach (var (s, _) in _holes) if (s > gpa && s < end) end = s;
        if (write) foreach (var (s, _) in _readOnly) if (s > gpa && s < end) end = s;
        foreach (ulong s in _splits) if (s > gpa && s < end) end = s;
        host = Host + (nint)(gpa - Base);
        contiguous = end - gpa;
        return true;
    }

    public Span<byte> Span(ulong gpa, int length) => new((void*)(Host + (nint)(gpa - Base)), length);
    public void W16(ulong gpa, ushort v) => MemoryMarshal.Write(Span(gpa, 2), in v);
    public void W32(ulong gpa, uint v) => MemoryMarshal.Write(Span(gpa, 4), in v);
    public void W64(ulong gpa, ulong v) => MemoryMarshal.Write(Span(gpa, 8), in v);
    public ushort R16(ulong gpa) => MemoryMarshal.Read<ushort>(Span(gpa, 2));
    public uint R32(ulong gpa) => MemoryMarshal.Read<uint>(Span(gpa, 4));

    public void Dispose()
    {
        if (Host != 0) NativeMemory.Free((void*)Host);
        Host = 0;
    }
}
