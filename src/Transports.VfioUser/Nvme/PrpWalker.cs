// Turns a command's PRP data pointer into host segments over guest memory (NVMe Base 2.0 §4.3
// "Physical Region Page Entry and List"): PRP1 may start anywhere in a page; a transfer that ends
// within the next page takes PRP2 as a page-aligned data pointer; a longer one takes PRP2 as a
// PRP list pointer whose entries are page-aligned data pointers, the last entry of a full list
// page pointing to the next list page. Memory page size is 4 KiB (CAP.MPSMIN = MPSMAX = 0).
// Every address is translated with bounds and permission checks; a bad pointer yields a status,
// never a read outside a mapping.
namespace Target.Transports.VfioUser.Nvme;

public static unsafe class PrpWalker
{
    public const int PageSize = 4096;
    private const ulong PageMask = PageSize - 1;

    /// <summary>
    /// Maps <paramref name="length"/> bytes. <paramref name="write"/> means the controller writes
    /// guest memory (a controller-to-host transfer), so the regions must be writable.
    /// </summary>
    public static DataPointerStatus Map(IGuestMemory memory, ulong prp1, ulong prp2, uint length, bool write, SegmentList segments)
    {
        segments.Clear();
        if (length == 0) return DataPointerStatus.Success;
        ulong first = Math.Min(length, PageSize - (prp1 & PageMask));
        var st = AddRange(memory, prp1, first, write, segments);
        if (st != DataPointerStatus.Success) return st;
        ulong remaining = length - first;
        if (remaining == 0) return DataPointerStatus.Success;
        if (remaining <= PageSize)
        {
            if ((prp2 & PageMask) != 0) return DataPointerStatus.InvalidPrpOffset;
            return AddRange(memory, prp2, remaining, write, segments);
        }

        // PRP2 is a PRP list pointer: qword aligned, may start inside a page.
        ulong list = prp2;
        int listPages = 0;
        while (remaining > 0)
        {
            if ((list & 7) != 0) return DataPointerStatus.InvalidPrpOffset;
            // A transfer this long cannot need more list pages than it has data pages.
            if (++listPages > segments.Capacity + 1) return DataPointerStatus.InvalidField;
            ulong slots = (PageSize - (list & PageMask)) / 8;
            ulong needed = (remaining + PageMask) / PageSize;
            bool chained = needed > slots;
            ulong dataEntries = chained ? slots - 1 : needed;
            if (chained && dataEntries == 0) return DataPointerStatus.InvalidPrpOffset;
            ulong entryCount = chained ? slots : needed;
            if (!memory.TryTranslate(list, entryCount * 8, false, out nint host)) return DataPointerStatus.DataTransferError;
            ulong* entries = (ulong*)host;
            for (ulong i = 0; i < dataEntries; i++)
            {
                ulong entry = Volatile.Read(ref entries[i]);
                if ((entry & PageMask) != 0) return DataPointerStatus.InvalidPrpOffset;
                ulong n = Math.Min(remaining, PageSize);
                st = AddRange(memory, entry, n, write, segments);
                if (st != DataPointerStatus.Success) return st;
                remaining -= n;
            }
            if (remaining == 0) break;
            list = Volatile.Read(ref entries[slots - 1]);
        }
        return DataPointerStatus.Success;
    }

    /// <summary>Translates one range that lies within a single memory page and appends it.</summary>
    internal static DataPointerStatus AddRange(IGuestMemory memory, ulong iova, ulong length, bool write, SegmentList segments)
    {
        if (iova > ulong.MaxValue - length) return DataPointerStatus.DataTransferError;
        if (!memory.TryTranslate(iova, length, write, out nint host)) return DataPointerStatus.DataTransferError;
        return segments.Add(host, length) ? DataPointerStatus.Success : DataPointerStatus.InvalidField;
    }
}
