// Standard INQUIRY data, 96 bytes with the version descriptors (SPC-4 §6.6.2, Table 142). Strings
// are ASCII, left-aligned, space padded. The target reports what SPDK's lib/scsi reports for a
// disk, which is what a Linux guest then shows ("INTEL Malloc disk 0001", ANSI version 5).
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct StandardInquiryData
{
    public const int Size = 96;
    /// <summary>Bytes up to and including PRODUCT REVISION LEVEL: what an initiator must at least ask for.</summary>
    public const int MinimumLength = 36;
    /// <summary>PERIPHERAL DEVICE TYPE 00h: direct access block device (SBC-3).</summary>
    public const byte DirectAccessBlockDevice = 0x00;
    /// <summary>PERIPHERAL QUALIFIER 011b + type 1Fh: no logical unit at this LUN (SPC-4 §6.6.2).</summary>
    public const byte NoLogicalUnit = 0x7F;
    /// <summary>VERSION 05h: SPC-3.</summary>
    public const byte VersionSpc3 = 0x05;
    /// <summary>HISUP (bit 4) | RESPONSE DATA FORMAT 2.</summary>
    public const byte HierarchicalFormat2 = 0x12;
    /// <summary>Byte 7 CMDQUE: the device queues commands (Linux enables tagged queuing on it).</summary>
    public const byte CommandQueuing = 0x02;

    [FieldOffset(0)] public byte PeripheralQualifierAndType;
    [FieldOffset(1)] public byte Rmb;
    [FieldOffset(2)] public byte Version;
    [FieldOffset(3)] public byte ResponseDataFormat;
    [FieldOffset(4)] public byte AdditionalLength;
    [FieldOffset(5)] public byte Flags5;
    [FieldOffset(6)] public byte Flags6;
    [FieldOffset(7)] public byte Flags7;
    [FieldOffset(8)] public AsciiField8 VendorId;
    [FieldOffset(16)] public AsciiField16 ProductId;
    [FieldOffset(32)] public AsciiField4 ProductRevision;
    [FieldOffset(58)] public VersionDescriptors Descriptors;

    [InlineArray(8)] public struct AsciiField8 { private byte _e; }
    [InlineArray(16)] public struct AsciiField16 { private byte _e; }
    [InlineArray(4)] public struct AsciiField4 { private byte _e; }
    [InlineArray(16)] public struct VersionDescriptors { private byte _e; }

    /// <summary>Writes VERSION DESCRIPTOR <paramref name="index"/> (0..7), big-endian.</summary>
    public void SetVersionDescriptor(int index, ushort value)
        => BinaryPrimitives.WriteUInt16BigEndian(((Span<byte>)Descriptors).Slice(index * 2, 2), value);

    /// <summary>Copies ASCII <paramref name="text"/> into <paramref name="field"/>, truncated, space padded.</summary>
    public static void SetAscii(Span<byte> field, string text)
    {
        field.Fill((byte)' ');
        for (int i = 0; i < field.Length && i < text.Length; i++)
            field[i] = text[i] is >= ' ' and <= '~' ? (byte)text[i] : (byte)' ';
    }
}
