// SBC-3 provisioning commands: UNMAP (§5.28) and WRITE SAME (10/16) (§5.42-§5.43). UNMAP checks every
// block descriptor before unmapping any (a bad one fails the command with nothing changed), then
// unmaps them one bdev I/O at a time, re-reading each descriptor from the initiator's buffer (no copy
// held across I/Os). WRITE SAME of a zero block becomes an unmap (UNMAP bit) or a bdev write-zeroes;
// any other pattern is written by bdev writes whose segment lists repeat the one data block.
using System.Runtime.InteropServices;
using Target.Bdev;
using Target.Core.Memory;
using Target.Scsi.Spec;

namespace Target.Scsi;

internal static unsafe class ProvisioningCommands
{
    private const int MaxPatternSegments = 8;

    public static bool Unmap(ScsiLunChannel ch, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        Target.Bdev.Bdev bdev = ch.Lun.Bdev;
        if (!bdev.Supports(BdevIoType.Unmap))
        {
            task.SetInvalidCdbField(SenseCode.InvalidCommandOperationCode, 0);
            return true;
        }
        if ((cdb[1] & 0x01) != 0)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 0); // ANCHOR: anchored state not supported
            return true;
        }
        int parameterLength = Cdb.UnmapParameterListLength(cdb);
        if (parameterLength == 0) { task.SetStatus(ScsiStatus.Good); return true; }
        ulong available = task.Direction == ScsiDataDirection.ToDevice ? task.TransferLength : 0;
        int received = (int)Math.Min((ulong)parameterLength, available);
        if (received < UnmapParameterListHeader.Size)
        {
            task.Overrun = available < (ulong)parameterLength;
            task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.ParameterListLengthError);
            return true;
        }
        Span<byte> header = stackalloc byte[UnmapParameterListHeader.Size];
        SegmentData.Gather(task.Segments, 0, header);
        int descriptorBytes = MemoryMarshal.AsRef<UnmapParameterListHeader>(header).BlockDescriptorDataLength;
        // Descriptors past what was received, and a trailing partial one, are ignored (SBC-3 §5.28.2).
        int count = Math.Min(descriptorBytes, received - UnmapParameterListHeader.Size) / UnmapBlockDescriptor.Size;
        if (count > InquiryCommand.MaxUnmapDescriptors)
        {
            task.SetInvalidParameterField(2);
            return true;
        }
        ulong capacity = bdev.NumBlocks;
        for (int i = 0; i < count; i++)
        {
            UnmapBlockDescriptor d = ReadDescriptor(task, i);
            if (d.NumberOfBlocks > InquiryCommand.MaxUnmapBlocks)
            {
                task.SetInvalidParameterField(UnmapParameterListHeader.Size + i * UnmapBlockDescriptor.Size + 8);
                return true;
            }
            if (d.Lba > capacity || d.NumberOfBlocks > capacity - d.Lba)
            {
                task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.LbaOutOfRange);
                return true;
            }
        }
        task.DataTransferred = (ulong)received;
        task.NextIndex = 0;
        task.RemainingBlocks = (ulong)count; // descriptors left to look at
        task.Step = &StepUnmapDescriptor;
        ch.RunStep(task);
        return false;
    }

    private static UnmapBlockDescriptor ReadDescriptor(ScsiTask task, int index)
    {
        UnmapBlockDescriptor d = default;
        SegmentData.Gather(task.Segments, (ulong)(UnmapParameterListHeader.Size + index * UnmapBlockDescriptor.Size),
            MemoryMarshal.AsBytes(new Span<UnmapBlockDescriptor>(ref d)));
        return d;
    }

    private static void StepUnmapDescriptor(ScsiLunChannel ch, ScsiTask task)
    {
        while ((ulong)task.NextIndex < task.RemainingBlocks)
        {
            UnmapBlockDescriptor d = ReadDescriptor(task, task.NextIndex);
            if (d.NumberOfBlocks == 0) { task.NextIndex++; continue; }
            task.AfterIo = &AfterUnmapDescriptor;
            ch.Issue(task, BdevIoType.Unmap, d.Lba, d.NumberOfBlocks, default);
            return;
        }
        task.SetStatus(ScsiStatus.Good);
        ch.Finish(task);
    }

    private static void AfterUnmapDescriptor(ScsiLunChannel ch, ScsiTask task)
    {
        task.NextIndex++;
        ch.RunStep(task);
    }

    public static bool WriteSame(ScsiLunChannel ch, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        int length = Cdb.LengthOf(cdb[0]);
        Target.Bdev.Bdev bdev = ch.Lun.Bdev;
        byte flags = cdb[1];
        if ((flags & Cdb.ProtectMask) != 0) { task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 7); return true; }
        if ((flags & 0x10) != 0) { task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 4); return true; } // ANCHOR
        if ((flags & 0x06) != 0) { task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, (flags & 0x04) != 0 ? 2 : 1); return true; } // PBDATA/LBDATA
        bool ndob = length == 16 && (flags & 0x01) != 0;
        if (length == 10 && (flags & 0x01) != 0) { task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 0); return true; }
        bool unmap = (flags & 0x08) != 0;
        if (unmap && !bdev.Supports(BdevIoType.Unmap)) { task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 3); return true; }
        Cdb.BlockRange(cdb, length, out ulong lba, out uint blocks);
        // WSNZ = 1 in the block limits page: zero blocks ("to the end") is refused, as is more than the maximum.
        if (blocks == 0 || blocks > InquiryCommand.MaxWriteSameBlocks)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, Cdb.TransferLengthOffset(length));
            return true;
        }
        if (!BlockCommands.CheckRange(ch, task, lba, blocks, length)) return true;
        uint blockSize = bdev.BlockSize;
        bool zero = ndob;
        if (!ndob)
        {
            ulong available = task.Direction == ScsiDataDirection.ToDevice ? task.TransferLength : 0;
            if (available < blockSize)
            {
                task.Overrun = true;
                task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.ParameterListLengthError);
                return true;
            }
            zero = SegmentData.IsZero(task.Segments, blockSize);
            task.DataTransferred = blockSize;
        }
        task.NextLba = lba;
        task.RemainingBlocks = blocks;
        if (zero && unmap) task.Step = &StepUnmapRange;
        else if (zero && bdev.Supports(BdevIoType.WriteZeroes)) task.Step = &StepWriteZeroes;
        else task.Step = &StepWritePattern;
        ch.RunStep(task);
        return false;
    }

    private static void StepUnmapRange(ScsiLunChannel ch, ScsiTask task)
        => ch.Issue(task, BdevIoType.Unmap, task.NextLba, task.RemainingBlocks, default);

    private static void StepWriteZeroes(ScsiLunChannel ch, ScsiTask task)
        => ch.Issue(task, BdevIoType.WriteZeroes, task.NextLba, task.RemainingBlocks, default);

    /// <summary>Writes the next chunk: a segment list that names the one data block once per block written.</summary>
    private static void StepWritePattern(ScsiLunChannel ch, ScsiTask task)
    {
        uint blockSize = ch.Lun.Bdev.BlockSize;
        Span<IoVec> pattern = stackalloc IoVec[MaxPatternSegments];
        int k;
        if (task.DataTransferred == 0)
        {
            pattern[0] = new IoVec(ch.ZeroBlock, blockSize); // NDOB: a block of zeros
            k = 1;
        }
        else
        {
            k = SegmentData.Trim(task.Segments, blockSize, pattern);
            if (k < 0)
            {
                task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.InvalidFieldInCdb);
                ch.Finish(task);
                return;
            }
        }
        ulong perIo = Math.Min((ulong)(BdevIo.MaxSegments / k), (ulong)(BdevIo.MaxTransferBytes / blockSize));
        ulong chunk = Math.Min(perIo, task.RemainingBlocks);
        IoVec[] list = ch.Segments;
        for (int b = 0; b < (int)chunk; b++) pattern[..k].CopyTo(list.AsSpan(b * k, k));
        task.NextIndex = (int)chunk;
        task.AfterIo = &AfterPatternChunk;
        ch.Issue(task, BdevIoType.Write, task.NextLba, chunk, new ReadOnlySpan<IoVec>(list, 0, (int)chunk * k));
    }

    private static void AfterPatternChunk(ScsiLunChannel ch, ScsiTask task)
    {
        task.NextLba += (ulong)task.NextIndex;
        task.RemainingBlocks -= (ulong)task.NextIndex;
        if (task.RemainingBlocks == 0)
        {
            task.SetStatus(ScsiStatus.Good);
            ch.Finish(task);
            return;
        }
        ch.RunStep(task);
    }
}
