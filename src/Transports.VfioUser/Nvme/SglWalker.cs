// Turns a command's SGL data pointer into host segments over guest memory (NVMe Base 2.0 §4.4
// "Scatter Gather List"): the SQE holds one descriptor — a Data Block, or a (Last) Segment
// descriptor pointing to a list of descriptors in guest memory whose last entry may chain to the
// next segment. Only Data Block / Segment / Last Segment with the address subtype are supported
// on PCIe (no bit bucket, no keyed or transport descriptors). Chains and descriptor counts are
// bounded; every address is translated with bounds and permission checks.
using System.Runtime.InteropServices;

namespace Target.Transports.VfioUser.Nvme;

public static unsafe class SglWalker
{
    public const byte TypeDataBlock = 0x0;
    public const byte TypeBitBucket = 0x1;
    public const byte TypeSegment = 0x2;
    public const byte TypeLastSegment = 0x3;
    public const int DescriptorSize = 16;
    /// <summary>Most descriptors one command may use in total (segments included).</summary>
    public const int MaxDescriptors = 256;

    [StructLayout(LayoutKind.Explicit, Size = DescriptorSize)]
    public struct Descriptor
    {
        [FieldOffset(0)] public ulong Address;
        [FieldOffset(8)] public uint Length;
        [FieldOffset(15)] public byte Identifier;

        public readonly byte Type => (byte)(Identifier >> 4);
        public readonly byte SubType => (byte)(Identifier & 0xF);
    }

    /// <summary>Maps <paramref name="length"/> bytes described by the SQE's descriptor.</summary>
    public static DataPointerStatus Map(IGuestMemory memory, in Descriptor sqeDescriptor, uint length, bool write, SegmentList segments)
    {
        segments.Clear();
        ulong remaining = length;
        var d = sqeDescriptor;
        int used = 1;
        while (true)
        {
            if (d.SubType != 0) return DataPointerStatus.SglDescriptorTypeInvalid;
            switch (d.Type)
            {
                case TypeDataBlock:
                {
                    var st = AddBlock(memory, d, ref remaining, write, segments);
                    if (st != DataPointerStatus.Success) return st;
                    return remaining == 0 ? DataPointerStatus.Success : DataPointerStatus.DataSglLengthInvalid;
                }
                case TypeSegment:
                case TypeLastSegment:
                    break;
                default:
                    return DataPointerStatus.SglDescriptorTypeInvalid;
            }
            // A segment: a list of descriptors in guest memory.
            bool last = d.Type == TypeLastSegment;
            if (d.Length == 0 || d.Length % DescriptorSize != 0) return DataPointerStatus.InvalidSglSegmentDescriptor;
            int count = (int)Math.Min(d.Length / DescriptorSize, (uint)MaxDescriptors + 1);
            used += count;
            if (used > MaxDescriptors) return DataPointerStatus.InvalidNumberOfSglDescriptors;
            if (d.Address > ulong.MaxValue - d.Length) return DataPointerStatus.DataTransferError;
            if (!memory.TryTranslate(d.Address, (ulong)count * DescriptorSize, false, out nint host)) return DataPointerStatus.DataTransferError;
            var list = (Descriptor*)host;
            Descriptor next = default;
            bool chained = false;
            for (int i = 0; i < count; i++)
            {
                var e = list[i]; // one copy: the guest may change the list under us
                if (e.SubType != 0) return DataPointerStatus.SglDescriptorTypeInvalid;
                if (e.Type == TypeSegment || e.Type == TypeLastSegment)
                {
                    // Only the last descriptor of a (non-last) segment may chain.
                    if (last || i != count - 1) return DataPointerStatus.InvalidSglSegmentDescriptor;
                    next = e;
                    chained = true;
                    break;
                }
                if (e.Type != TypeDataBlock) return DataPointerStatus.SglDescriptorTypeInvalid;
                var st = AddBlock(memory, e, ref remaining, write, segments);
                if (st != DataPointerStatus.Success) return st;
                if (remaining == 0) return DataPointerStatus.Success;
            }
            if (!chained) return remaining == 0 ? DataPointerStatus.Success : DataPointerStatus.DataSglLengthInvalid;
            d = next;
        }
    }

    /// <summary>Adds up to <paramref name="remaining"/> bytes of a data block, page by page when it spans regions.</summary>
    private static DataPointerStatus AddBlock(IGuestMemory memory, in Descriptor d, ref ulong remaining, bool write, SegmentList segments)
    {
        ulong n = Math.Min(d.Length, remaining);
        if (n == 0) return DataPointerStatus.Success;
        if (d.Address > ulong.MaxValue - n) return DataPointerStatus.DataTransferError;
        if (memory.TryTranslate(d.Address, n, write, out nint host))
        {
            if (!segments.Add(host, n)) return DataPointerStatus.InvalidField;
        }
        else
        {
            // The block may cross a region boundary: translate page by page.
            ulong addr = d.Address, left = n;
            while (left > 0)
            {
                ulong chunk = Math.Min(left, PrpWalker.PageSize - (addr & (PrpWalker.PageSize - 1)));
                var st = PrpWalker.AddRange(memory, addr, chunk, write, segments);
                if (st != DataPointerStatus.Success) return st;
                addr += chunk;
                left -= chunk;
            }
        }
        remaining -= n;
        return DataPointerStatus.Success;
    }
}
