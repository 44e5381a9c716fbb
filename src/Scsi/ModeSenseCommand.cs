// MODE SENSE (6) and (10) (SPC-4 §6.11, §6.12): the header, an optional block descriptor (short, or
// long with LLBAA), then the caching (08h) and control (0Ah) pages, or both for 3Fh (all pages).
// No page is changeable (there is no MODE SELECT), so the changeable values are all zero; saved
// values are not supported (SAVING PARAMETERS NOT SUPPORTED).
using System.Runtime.InteropServices;
using Target.Bdev;
using Target.Scsi.Spec;

namespace Target.Scsi;

internal static class ModeSenseCommand
{
    private const byte AllPages = 0x3F;
    private const byte AllSubpages = 0xFF;

    public static bool Execute(ScsiLunChannel ch, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool ten = cdb[0] == ScsiOpcode.ModeSense10;
        bool dbd = (cdb[1] & 0x08) != 0;
        bool llbaa = ten && (cdb[1] & 0x10) != 0;
        int pageControl = cdb[2] >> 6;
        byte page = (byte)(cdb[2] & 0x3F);
        byte subpage = cdb[3];
        if (pageControl == 3)
        {
            task.SetInvalidCdbField(SenseCode.SavingParametersNotSupported, 2, 7);
            return true;
        }
        bool caching = page is CachingModePage.PageCodeValue or AllPages;
        bool control = page is ControlModePage.PageCodeValue or AllPages;
        if (!caching && !control)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 2, 5);
            return true;
        }
        if (subpage != 0 && subpage != AllSubpages)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 3);
            return true;
        }

        Target.Bdev.Bdev bdev = ch.Lun.Bdev;
        Span<byte> data = ScsiCommandTable.Scratch.AsSpan(0, 256);
        data.Clear();
        int header = ten ? ModeParameterHeader10.Size : ModeParameterHeader6.Size;
        int descriptor = dbd ? 0 : llbaa ? LongBlockDescriptor.Size : ShortBlockDescriptor.Size;
        int at = header;
        ulong blocks = bdev.NumBlocks;
        if (descriptor == LongBlockDescriptor.Size)
        {
            ref LongBlockDescriptor d = ref MemoryMarshal.AsRef<LongBlockDescriptor>(data[at..]);
            d.NumberOfBlocks = blocks;
            d.BlockLength = bdev.BlockSize;
        }
        else if (descriptor == ShortBlockDescriptor.Size)
        {
            ref ShortBlockDescriptor d = ref MemoryMarshal.AsRef<ShortBlockDescriptor>(data[at..]);
            d.NumberOfBlocks = blocks > uint.MaxValue ? uint.MaxValue : (uint)blocks;
            d.BlockLength = bdev.BlockSize;
        }
        at += descriptor;
        bool changeable = pageControl == 1;
        if (caching)
        {
            ref CachingModePage c = ref MemoryMarshal.AsRef<CachingModePage>(data[at..]);
            c.PageCode = CachingModePage.PageCodeValue;
            c.PageLength = CachingModePage.Size - 2;
            // A bdev that can flush has a volatile cache to flush: write back (Linux then sends SYNCHRONIZE CACHE).
            if (!changeable && bdev.Supports(BdevIoType.Flush)) c.Flags = CachingModePage.Wce;
            at += CachingModePage.Size;
        }
        if (control)
        {
            ref ControlModePage c = ref MemoryMarshal.AsRef<ControlModePage>(data[at..]);
            c.PageCode = ControlModePage.PageCodeValue;
            c.PageLength = ControlModePage.Size - 2;
            if (!changeable)
            {
                c.QueueFlags = ControlModePage.UnrestrictedReordering;
                c.BusyTimeoutPeriod = 0xFFFF;
            }
            at += ControlModePage.Size;
        }

        // WP: a read-only descriptor makes the medium write protected.
        byte deviceSpecific = ch.Lun.Desc.Write ? (byte)0 : (byte)0x80;
        if (ten)
        {
            ref ModeParameterHeader10 h = ref MemoryMarshal.AsRef<ModeParameterHeader10>(data);
            h.ModeDataLength = (ushort)(at - 2);
            h.DeviceSpecificParameter = deviceSpecific;
            h.LongLba = llbaa && descriptor != 0 ? (byte)1 : (byte)0;
            h.BlockDescriptorLength = (ushort)descriptor;
            return ScsiCommandTable.DataIn(task, data[..at], Cdb.ModeSense10AllocationLength(cdb));
        }
        ref ModeParameterHeader6 h6 = ref MemoryMarshal.AsRef<ModeParameterHeader6>(data);
        h6.ModeDataLength = (byte)(at - 1);
        h6.DeviceSpecificParameter = deviceSpecific;
        h6.BlockDescriptorLength = (byte)descriptor;
        return ScsiCommandTable.DataIn(task, data[..at], cdb[4]);
    }
}
