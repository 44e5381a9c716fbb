// IGuestMemory over an endpoint's DMA map: the per-queue hint goes through DmaController's fast
// path; a range that spans two adjacent regions (QEMU splits RAM at the PAM/ROM holes, SeaBIOS
// runs in the pieces) is handed out piece by piece.
using Target.VfioUser.Server;

namespace Target.Virtio.Ring;

public sealed class DmaGuestMemory : IGuestMemory
{
    private readonly DmaController _dma;
    private GuestRegion? _hint;

    public DmaGuestMemory(DmaController dma) => _dma = dma;

    public bool TryTranslate(ulong gpa, ulong length, bool write, out nint host, out ulong contiguous)
    {
        if (_dma.TryTranslate(gpa, length, write, ref _hint, out host))
        {
            contiguous = length;
            return true;
        }
        contiguous = 0;
        if (length == 0) return false;
        GuestRegion? r = _dma.FindContaining(gpa);
        if (r is null || r.HostAddress == 0 || (write ? !r.Writable : !r.Readable)) { host = 0; return false; }
        _hint = r;
        host = r.HostAddress + (nint)(gpa - r.Iova);
        contiguous = Math.Min(length, r.End - gpa);
        return true;
    }
}
