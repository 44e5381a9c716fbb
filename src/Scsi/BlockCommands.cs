// SBC-3 block commands over the LUN's bdev: READ CAPACITY (10) (§5.15) / (16) (§5.16), READ and WRITE
// (6/10/12/16, §5.7-§5.11, §5.33-§5.36) straight between the task's segments and the bdev (zero copy),
// VERIFY (10/16, §5.30-§5.31, BYTCHK 01b as a bdev compare), SYNCHRONIZE CACHE (10/16, §5.22-§5.23)
// as a bdev flush, START STOP UNIT (§5.25, accepted: the medium is always ready).
using System.Runtime.InteropServices;
using Target.Bdev;
using Target.Core.Memory;
using Target.Scsi.Spec;

namespace Target.Scsi;

internal static unsafe class BlockCommands
{
    public static bool StartStopUnit(ScsiLunChannel ch, ScsiTask task)
    {
        task.SetStatus(ScsiStatus.Good);
        return true;
    }

    public static bool ReadCapacity10(ScsiLunChannel ch, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        // PMI = 0 requires LOGICAL BLOCK ADDRESS = 0 (SBC-3 §5.15.1).
        if ((cdb[8] & 0x01) == 0 && Cdb.ReadCapacity10Lba(cdb) != 0)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 2);
            return true;
        }
        Target.Bdev.Bdev bdev = ch.Lun.Bdev;
        ulong last = bdev.NumBlocks - 1;
        Span<byte> data = stackalloc byte[ReadCapacity10Data.Size];
        ref ReadCapacity10Data d = ref MemoryMarshal.AsRef<ReadCapacity10Data>(data);
        d.ReturnedLba = last > uint.MaxValue ? uint.MaxValue : (uint)last;
        d.BlockLength = bdev.BlockSize;
        return ScsiCommandTable.DataIn(task, data, ReadCapacity10Data.Size);
    }

    public static bool ServiceActionIn16(ScsiLunChannel ch, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        if ((cdb[1] & 0x1F) != ScsiOpcode.ReadCapacity16ServiceAction)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 4);
            return true;
        }
        Target.Bdev.Bdev bdev = ch.Lun.Bdev;
        Span<byte> data = stackalloc byte[ReadCapacity16Data.Size];
        data.Clear();
        ref ReadCapacity16Data d = ref MemoryMarshal.AsRef<ReadCapacity16Data>(data);
        d.ReturnedLba = bdev.NumBlocks - 1;
        d.BlockLength = bdev.BlockSize;
        if (bdev.Supports(BdevIoType.Unmap)) d.ProvisioningAndAlignmentHigh = ReadCapacity16Data.Lbpme;
        return ScsiCommandTable.DataIn(task, data, Cdb.ReadCapacity16AllocationLength(cdb));
    }

    public static bool Read(ScsiLunChannel ch, ScsiTask task) => ReadWrite(ch, task, write: false);

    public static bool Write(ScsiLunChannel ch, ScsiTask task) => ReadWrite(ch, task, write: true);

    private static bool ReadWrite(ScsiLunChannel ch, ScsiTask task, bool write)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        int length = Cdb.LengthOf(cdb[0]);
        if (length != 6 && (cdb[1] & Cdb.ProtectMask) != 0)
        {
            // RDPROTECT / WRPROTECT: the bdev carries no protection information.
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 7);
            return true;
        }
        Cdb.BlockRange(cdb, length, out ulong lba, out uint blocks);
        if (!CheckRange(ch, task, lba, blocks, length)) return true;
        if (blocks == 0) { task.SetStatus(ScsiStatus.Good); return true; }
        ulong bytes = (ulong)blocks * ch.Lun.Bdev.BlockSize;
        if (bytes > BdevIo.MaxTransferBytes)
        {
            // More than MAXIMUM TRANSFER LENGTH of the block limits page (SBC-3 §6.6.3).
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, Cdb.TransferLengthOffset(length));
            return true;
        }
        if (!HasData(task, write ? ScsiDataDirection.ToDevice : ScsiDataDirection.FromDevice, bytes, length)) return true;
        task.NextLba = lba;
        task.RemainingBlocks = blocks;
        task.DataTransferred = bytes;
        task.Fua = write && length != 6 && (cdb[1] & Cdb.Fua) != 0;
        task.Step = write ? &StepWrite : &StepRead;
        // FUA: the data must be on the medium before GOOD, so a flush of the range follows the write.
        if (task.Fua && ch.Lun.Bdev.Supports(BdevIoType.Flush)) task.AfterIo = &AfterFuaWrite;
        ch.RunStep(task);
        return false;
    }

    private static void StepRead(ScsiLunChannel ch, ScsiTask task) => IssueData(ch, task, BdevIoType.Read);

    private static void StepWrite(ScsiLunChannel ch, ScsiTask task) => IssueData(ch, task, BdevIoType.Write);

    private static void StepCompare(ScsiLunChannel ch, ScsiTask task) => IssueData(ch, task, BdevIoType.Compare);

    /// <summary>One I/O over the task's segments, cut to the CDB's byte count when the buffer is larger (an underflow residual).</summary>
    private static void IssueData(ScsiLunChannel ch, ScsiTask task, BdevIoType type)
    {
        ulong bytes = task.DataTransferred;
        ReadOnlySpan<IoVec> data = task.Segments;
        if (task.TransferLength != bytes)
        {
            int n = SegmentData.Trim(data, bytes, ch.Segments);
            data = n < 0 ? data : new ReadOnlySpan<IoVec>(ch.Segments, 0, n);
        }
        ch.Issue(task, type, task.NextLba, task.RemainingBlocks, data);
    }

    private static void AfterFuaWrite(ScsiLunChannel ch, ScsiTask task)
    {
        task.Step = &StepFlush;
        ch.RunStep(task);
    }

    private static void StepFlush(ScsiLunChannel ch, ScsiTask task)
        => ch.Issue(task, BdevIoType.Flush, task.NextLba, task.RemainingBlocks, default);

    public static bool Verify(ScsiLunChannel ch, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        int length = Cdb.LengthOf(cdb[0]);
        if ((cdb[1] & Cdb.ProtectMask) != 0)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 7);
            return true;
        }
        int byteCheck = (cdb[1] >> 1) & 0x03;
        Cdb.BlockRange(cdb, length, out ulong lba, out uint blocks);
        if (!CheckRange(ch, task, lba, blocks, length)) return true;
        // BYTCHK 00b: verify the medium only; the bdev has nothing to verify beyond the range check.
        if (blocks == 0 || byteCheck == 0) { task.SetStatus(ScsiStatus.Good); return true; }
        // BYTCHK 01b compares the data-out buffer; 11b (one block against all) and 10b are not supported.
        if (byteCheck != 1 || !ch.Lun.Bdev.Supports(BdevIoType.Compare))
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 2);
            return true;
        }
        ulong bytes = (ulong)blocks * ch.Lun.Bdev.BlockSize;
        if (bytes > BdevIo.MaxTransferBytes)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, Cdb.TransferLengthOffset(length));
            return true;
        }
        if (!HasData(task, ScsiDataDirection.ToDevice, bytes, length)) return true;
        task.NextLba = lba;
        task.RemainingBlocks = blocks;
        task.DataTransferred = bytes;
        task.Step = &StepCompare;
        ch.RunStep(task);
        return false;
    }

    public static bool SynchronizeCache(ScsiLunChannel ch, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        int length = Cdb.LengthOf(cdb[0]);
        Cdb.BlockRange(cdb, length, out ulong lba, out uint blocks);
        if (!CheckRange(ch, task, lba, blocks, length)) return true;
        // NUMBER OF LOGICAL BLOCKS 0: from LBA to the end of the medium.
        ulong count = blocks == 0 ? ch.Lun.Bdev.NumBlocks - lba : blocks;
        if (count == 0 || !ch.Lun.Bdev.Supports(BdevIoType.Flush)) { task.SetStatus(ScsiStatus.Good); return true; }
        task.NextLba = lba;
        task.RemainingBlocks = count;
        task.Step = &StepFlush;
        ch.RunStep(task);
        return false;
    }

    /// <summary>LBA OUT OF RANGE when the range passes the last block (SBC-3 §4.5).</summary>
    public static bool CheckRange(ScsiLunChannel ch, ScsiTask task, ulong lba, ulong blocks, int cdbLength)
    {
        ulong capacity = ch.Lun.Bdev.NumBlocks;
        if (lba <= capacity && blocks <= capacity - lba) return true;
        task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.LbaOutOfRange);
        return false;
    }

    /// <summary>
    /// The data buffer must hold what the CDB transfers; a smaller one (or one in the other direction)
    /// is an overrun: nothing is transferred and the task fails with INVALID FIELD IN CDB.
    /// </summary>
    public static bool HasData(ScsiTask task, ScsiDataDirection direction, ulong bytes, int cdbLength)
    {
        ulong available = task.Direction == direction ? task.TransferLength : 0;
        if (available >= bytes) return true;
        task.Overrun = true;
        task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, Cdb.TransferLengthOffset(cdbLength));
        return false;
    }
}
