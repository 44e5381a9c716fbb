// Builds the PRP data pointer of a command (NVMe Base 2.0 §4.3.1 "Physical Region Page Entry and
// List"): PRP1 is the buffer start (any dword offset); a transfer that ends in the next page puts
// that page in PRP2; a longer one points PRP2 at a PRP list — one page of 8-byte entries, one per
// following page. A list page holds 512 entries, so one list (no chaining) covers 2 MiB + the
// first page, more than any MDTS this driver negotiates. The driver fills the per-command list page
// it owns; addresses are not checked here (the controller reports what it cannot map).
using Target.Core.Nvme.Spec;

namespace Target.Initiator.VfioUser;

public static unsafe class PrpBuilder
{
    public const int PageSize = 4096;
    public const int EntriesPerList = PageSize / 8;

    /// <summary>Largest transfer one list page can describe for a buffer starting at a page boundary.</summary>
    public const int MaxTransfer = (EntriesPerList + 1) * PageSize;

    /// <summary>
    /// Sets PRP1/PRP2 of <paramref name="sqe"/> (PSDT = 0) for <paramref name="length"/> bytes at
    /// <paramref name="iova"/>, writing list entries to <paramref name="list"/> (IOVA
    /// <paramref name="listIova"/>) when needed. False when the transfer needs more than one list
    /// page or the address is not dword aligned.
    /// </summary>
    public static bool Build(ref SubmissionEntry sqe, ulong iova, uint length, ulong* list, ulong listIova)
    {
        sqe.Flags = (byte)(sqe.Flags & 0x3F); // PSDT = 00: PRPs
        sqe.Prp1 = iova;
        sqe.Prp2 = 0;
        if ((iova & 3) != 0) return false;
        if (length == 0) return true;
        uint first = PageSize - (uint)(iova & (PageSize - 1));
        if (length <= first) return true;
        ulong page = iova + first; // page aligned from here on
        uint rest = length - first;
        if (rest <= PageSize)
        {
            sqe.Prp2 = page;
            return true;
        }
        uint entries = (rest + PageSize - 1) / PageSize;
        if (entries > EntriesPerList) return false;
        for (uint i = 0; i < entries; i++) list[i] = page + (ulong)i * PageSize;
        sqe.Prp2 = listIova;
        return true;
    }
}
