// Field decoding of the CDBs this target handles (SBC-3 §5, SPC-4 §6): LOGICAL BLOCK ADDRESS and
// TRANSFER LENGTH of the 6/10/12/16-byte read/write-style forms, and the allocation / parameter
// list lengths. The only place with CDB byte offsets; big-endian throughout.
using System.Buffers.Binary;

namespace Target.Scsi.Spec;

public static class Cdb
{
    /// <summary>Size of a CDB by its group code (bits 7:5 of the opcode, SPC-4 §4.2.5.1); 0 = vendor/reserved.</summary>
    public static int LengthOf(byte opcode) => (opcode >> 5) switch
    {
        0 => 6,
        1 or 2 => 10,
        4 => 16,
        5 => 12,
        _ => 0,
    };

    /// <summary>LBA and block count of a READ/WRITE/VERIFY/WRITE SAME/SYNCHRONIZE CACHE CDB of <paramref name="length"/> bytes.</summary>
    public static void BlockRange(ReadOnlySpan<byte> cdb, int length, out ulong lba, out uint blocks)
    {
        switch (length)
        {
            case 6:
                // 21-bit LBA; TRANSFER LENGTH 0 means 256 blocks (SBC-3 §5.7).
                lba = (ulong)(((cdb[1] & 0x1F) << 16) | (cdb[2] << 8) | cdb[3]);
                blocks = cdb[4] == 0 ? 256u : cdb[4];
                break;
            case 10:
                lba = BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]);
                blocks = BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]);
                break;
            case 12:
                lba = BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]);
                blocks = BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]);
                break;
            default:
                lba = BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]);
                blocks = BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]);
                break;
        }
    }

    /// <summary>Byte offset of the TRANSFER LENGTH field in a CDB of <paramref name="length"/> bytes (for sense field pointers).</summary>
    public static int TransferLengthOffset(int length) => length switch { 6 => 4, 10 => 7, 12 => 6, _ => 10 };

    /// <summary>Byte offset of the LBA field (for sense field pointers).</summary>
    public static int LbaOffset(int length) => length == 6 ? 1 : 2;

    /// <summary>Byte 1 of READ/WRITE (10/12/16): RDPROTECT/WRPROTECT (7:5), DPO (4), FUA (3).</summary>
    public const byte Fua = 0x08;
    public const byte ProtectMask = 0xE0;

    public static ushort InquiryAllocationLength(ReadOnlySpan<byte> cdb) => BinaryPrimitives.ReadUInt16BigEndian(cdb[3..]);
    public static uint ReportLunsAllocationLength(ReadOnlySpan<byte> cdb) => BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]);
    public static uint ReadCapacity16AllocationLength(ReadOnlySpan<byte> cdb) => BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]);
    public static ushort ModeSense10AllocationLength(ReadOnlySpan<byte> cdb) => BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]);
    public static ushort UnmapParameterListLength(ReadOnlySpan<byte> cdb) => BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]);
    public static uint ReadCapacity10Lba(ReadOnlySpan<byte> cdb) => BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]);
}
