// Guest memory for device-model tests: regions of native memory at chosen guest addresses, with
// optional read-only regions, implementing the same translation contract as the DMA map.
using System.Runtime.InteropServices;
using Target.Transports.VfioUser.Nvme;

namespace Transports.VfioUser.Tests.Nvme;

internal sealed unsafe class FakeGuestMemory : IGuestMemory, IDisposable
{
    private readonly List<(ulong Iova, ulong Length, nint Host, bool Writable)> _regions = new();

    public int Translations { get; private set; }

    public nint AddRegion(ulong iova, ulong length, bool writable = true)
    {
        nint host = (nint)NativeMemory.AlignedAlloc((nuint)length, 4096);
        new Span<byte>((void*)host, (int)length).Clear();
        _regions.Add((iova, length, host, writable));
        return host;
    }

    public void RemoveRegion(ulong iova)
    {
        int i = _regions.FindIndex(r => r.Iova == iova);
        NativeMemory.AlignedFree((void*)_regions[i].Host);
        _regions.RemoveAt(i);
    }

    public bool TryTranslate(ulong iova, ulong length, bool write, out nint host)
    {
        Translations++;
        foreach (var r in _regions)
        {
            if (iova >= r.Iova && length <= r.Length && iova - r.Iova <= r.Length - length && length > 0)
            {
                if (write && !r.Writable) break;
                host = r.Host + (nint)(iova - r.Iova);
                return true;
            }
        }
        host = 0;
        return false;
    }

    public Span<byte> Span(ulong iova, int length)
    {
        if (!TryTranslate(iova, (ulong)length, false, out nint h)) throw new ArgumentException("unmapped 0x" + iova.ToString("x"));
        return new Span<byte>((void*)h, length);
    }

    public void WriteU64(ulong iova, ulong value) => MemoryMarshal.Write(Span(iova, 8), value);

    public void Dispose()
    {
        foreach (var r in _regions) NativeMemory.AlignedFree((void*)r.Host);
        _regions.Clear();
    }
}
