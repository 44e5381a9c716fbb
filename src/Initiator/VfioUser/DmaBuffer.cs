// A piece of the host driver's DMA-mapped memory: the IOVA the controller uses in PRPs and the
// local address of the same bytes. Cheap to copy; owned by the NvmeOverVfioUser that allocated it
// and valid until that is disposed.
namespace Target.Initiator.VfioUser;

public readonly unsafe struct DmaBuffer
{
    public DmaBuffer(ulong iova, nint pointer, int length)
    {
        Iova = iova;
        Pointer = pointer;
        Length = length;
    }

    public ulong Iova { get; }
    public nint Pointer { get; }
    public int Length { get; }
    public bool IsEmpty => Length == 0;

    public Span<byte> Span => new((void*)Pointer, Length);

    /// <summary>A sub-range (IOVA and pointer advance together).</summary>
    public DmaBuffer Slice(int offset, int length)
    {
        if ((uint)offset > (uint)Length || (uint)length > (uint)(Length - offset)) throw new ArgumentOutOfRangeException(nameof(offset));
        return new DmaBuffer(Iova + (ulong)offset, Pointer + offset, length);
    }
}
