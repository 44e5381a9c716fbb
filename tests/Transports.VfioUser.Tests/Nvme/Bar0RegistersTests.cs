// BAR0 register file: access shapes, read-only registers, 64-bit registers as dword halves,
// INTMS/INTMC, reserved bits of AQA/ASQ/ACQ, CC forwarded to the owner (NVMe Base 2.0 §3.1.4).
using System.Buffers.Binary;
using Target.Transports.VfioUser.Nvme;

namespace Transports.VfioUser.Tests.Nvme;

public sealed class Bar0RegistersTests
{
    private sealed class Owner : Bar0Registers.IOwner
    {
        public ulong Cap { get; set; } = 0x0000_0020_1E01_00FFUL;
        public uint Cc { get; set; }
        public uint Csts { get; set; } = 1;
        public readonly List<uint> CcWrites = new();
        public void WriteCc(uint value) { CcWrites.Add(value); Cc = value; }
    }

    private static uint R32(Bar0Registers r, ulong off)
    {
        Span<byte> b = stackalloc byte[4];
        Assert.Equal(4, r.Read(off, b));
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private static void W32(Bar0Registers r, ulong off, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        Assert.Equal(4, r.Write(off, b));
    }

    [Fact]
    public void CapReadsAsQwordOrTwoDwords()
    {
        var o = new Owner();
        var r = new Bar0Registers(o);
        Span<byte> b = stackalloc byte[8];
        Assert.Equal(8, r.Read(0, b));
        Assert.Equal(o.Cap, BinaryPrimitives.ReadUInt64LittleEndian(b));
        Assert.Equal((uint)o.Cap, R32(r, 0));
        Assert.Equal((uint)(o.Cap >> 32), R32(r, 4));
        Assert.Equal(0x00010300u, R32(r, Bar0Registers.Vs));
    }

    [Fact]
    public void BadAccessShapesAreRefused()
    {
        var r = new Bar0Registers(new Owner());
        Assert.True(r.Read(0x14, new byte[2]) < 0);
        Assert.True(r.Read(0x16, new byte[4]) < 0);
        Assert.True(r.Write(0x24, new byte[1]) < 0);
        Assert.True(r.Read(0x14, new byte[8]) < 0); // not 8-byte aligned
        Assert.True(r.Read(0xFFC, new byte[8]) < 0);
    }

    [Fact]
    public void ReadOnlyRegistersIgnoreWrites_AndCcIsForwarded()
    {
        var o = new Owner();
        var r = new Bar0Registers(o);
        W32(r, Bar0Registers.Cap, 0);
        W32(r, Bar0Registers.Csts, 0);
        Assert.Equal((uint)o.Cap, R32(r, 0));
        Assert.Equal(1u, R32(r, Bar0Registers.Csts));
        W32(r, Bar0Registers.Cc, 0x460001);
        Assert.Equal(new[] { 0x460001u }, o.CcWrites);
        Assert.Equal(0x460001u, R32(r, Bar0Registers.Cc));
        Assert.Equal(0u, R32(r, 0x38)); // CMBLOC: not implemented, reads 0
    }

    [Fact]
    public void AdminQueueRegistersMaskReservedBits()
    {
        var r = new Bar0Registers(new Owner());
        W32(r, Bar0Registers.Aqa, 0xFFFF_FFFF);
        Assert.Equal(Bar0Registers.AqaMask, R32(r, Bar0Registers.Aqa));
        W32(r, Bar0Registers.Aqa, (31u << 16) | 31);
        Assert.Equal(32, r.AdminSqEntries);
        Assert.Equal(32, r.AdminCqEntries);
        W32(r, Bar0Registers.Asq, 0x1234_5FFF);
        W32(r, Bar0Registers.Asq + 4, 0x1);
        Assert.Equal(0x1_1234_5000UL, r.AdminSubmissionQueueBase);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, 0x2_0000_3000UL);
        Assert.Equal(8, r.Write(Bar0Registers.Acq, b));
        Assert.Equal(0x2_0000_3000UL, r.AdminCompletionQueueBase);
    }

    [Fact]
    public void InterruptMaskSetAndClear()
    {
        var r = new Bar0Registers(new Owner());
        W32(r, Bar0Registers.Intms, 0x5);
        W32(r, Bar0Registers.Intms, 0x2);
        Assert.Equal(0x7u, R32(r, Bar0Registers.Intmc));
        W32(r, Bar0Registers.Intmc, 0x1);
        Assert.Equal(0x6u, R32(r, Bar0Registers.Intms));
    }
}
