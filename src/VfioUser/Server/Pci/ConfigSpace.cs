// Emulated PCI configuration space (region 7): type-0 header, capability list, BAR sizing and
// the command register (PCI Local Bus 3.0 §6.1–6.2.5, §6.7; libvfio-user pci.c/pci_caps.c;
// reference vfio-user.md §1.4 "How QEMU uses them", §3.2).
//
// Writes go through a per-byte write mask built when the space is laid out, so read-only fields
// (ids, class, capability headers, table offsets) cannot be changed by the client. BAR registers
// then get their size mask re-applied (writing all-ones reads back ~(size-1) | type bits, which is
// how the guest sizes a BAR). PCIe Device Control's Initiate-FLR bit is reported to the caller and
// reads back 0.
using System.Buffers.Binary;
using Target.Core.Interop;
using Target.VfioUser.Protocol;

namespace Target.VfioUser.Server.Pci;

public sealed class ConfigSpace
{
    public const int ConventionalSize = 256;
    public const int ExpressSize = 4096;

    // Type-0 header offsets.
    public const int VendorIdOffset = 0x00;
    public const int DeviceIdOffset = 0x02;
    public const int CommandOffset = 0x04;
    public const int StatusOffset = 0x06;
    public const int RevisionOffset = 0x08;
    public const int ClassCodeOffset = 0x09;
    public const int CacheLineSizeOffset = 0x0C;
    public const int LatencyTimerOffset = 0x0D;
    public const int HeaderTypeOffset = 0x0E;
    public const int Bar0Offset = 0x10;
    public const int SubsystemVendorIdOffset = 0x2C;
    public const int SubsystemIdOffset = 0x2E;
    public const int RomBarOffset = 0x30;
    public const int CapabilitiesPointerOffset = 0x34;
    public const int InterruptLineOffset = 0x3C;
    public const int InterruptPinOffset = 0x3D;
    public const int FirstCapabilityOffset = 0x40;

    // Command register bits.
    public const ushort CommandIo = 0x0001;
    public const ushort CommandMemory = 0x0002;
    public const ushort CommandBusMaster = 0x0004;
    public const ushort CommandParity = 0x0040;
    public const ushort CommandSerr = 0x0100;
    public const ushort CommandIntxDisable = 0x0400;
    private const ushort CommandWritable = CommandIo | CommandMemory | CommandBusMaster | CommandParity | CommandSerr | CommandIntxDisable;
    public const ushort StatusCapabilitiesList = 0x0010;

    private readonly byte[] _bytes;
    private readonly byte[] _writeMask;
    private readonly ulong[] _barSizes = new ulong[6];
    private readonly uint[] _barTypeBits = new uint[6];
    private readonly bool[] _barIsUpperHalf = new bool[6];
    private readonly ulong _romSize;
    private readonly Dictionary<byte, int> _capOffsets = new();

    public ConfigSpace(PciIdentity identity, IReadOnlyList<PciCapability> capabilities, IReadOnlyList<VfioRegion> regions)
    {
        Size = identity.Express ? ExpressSize : ConventionalSize;
        _bytes = new byte[Size];
        _writeMask = new byte[Size];
        Span<byte> b = _bytes;
        BinaryPrimitives.WriteUInt16LittleEndian(b[VendorIdOffset..], identity.VendorId);
        BinaryPrimitives.WriteUInt16LittleEndian(b[DeviceIdOffset..], identity.DeviceId);
        b[RevisionOffset] = identity.Revision;
        b[ClassCodeOffset] = (byte)identity.ClassCode;
        b[ClassCodeOffset + 1] = (byte)(identity.ClassCode >> 8);
        b[ClassCodeOffset + 2] = (byte)(identity.ClassCode >> 16);
        b[HeaderTypeOffset] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(b[SubsystemVendorIdOffset..], identity.SubsystemVendorId);
        BinaryPrimitives.WriteUInt16LittleEndian(b[SubsystemIdOffset..], identity.SubsystemId);
        b[InterruptPinOffset] = identity.InterruptPin;
        SetMask(CommandOffset, 2, CommandWritable);
        SetMask(CacheLineSizeOffset, 1, 0xFF);
        SetMask(LatencyTimerOffset, 1, 0xFF);
        SetMask(InterruptLineOffset, 1, 0xFF);

        foreach (VfioRegion r in regions)
        {
            if (r.Index <= RegionIndex.Bar5 && r.Size > 0) DeclareBar(r);
            else if (r.Index == RegionIndex.Rom && r.Size > 0)
            {
                if (!IsPowerOfTwo(r.Size) || r.Size < 2048 || r.Size > (1UL << 31)) throw new ArgumentException("ROM size must be a power of two in 2 KiB..2 GiB");
                _romSize = r.Size;
                SetMask(RomBarOffset, 4, 0xFFFFFFFF);
            }
        }

        int pos = FirstCapabilityOffset;
        int previousNext = CapabilitiesPointerOffset;
        foreach (PciCapability cap in capabilities)
        {
            if (cap is not VendorCapability && _capOffsets.ContainsKey(cap.Id)) throw new ArgumentException("capability listed twice: " + cap.Id);
            if (pos + cap.Length > ConventionalSize) throw new ArgumentException("capabilities do not fit in 256 bytes");
            b[previousNext] = (byte)pos;
            b[pos] = cap.Id;
            _capOffsets.TryAdd(cap.Id, pos);
            LayOut(cap, pos);
            previousNext = pos + 1;
            pos = (pos + cap.Length + 3) & ~3;
        }
        if (capabilities.Count > 0) BinaryPrimitives.WriteUInt16LittleEndian(b[StatusOffset..], StatusCapabilitiesList);
    }

    /// <summary>256 (conventional) or 4096 (PCI Express) bytes.</summary>
    public int Size { get; }

    /// <summary>The current contents (read-only view; use <see cref="Access"/> to write as the client would).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    public ushort Command => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(CommandOffset));
    public bool IntxDisabled => (Command & CommandIntxDisable) != 0;
    public bool BusMasterEnabled => (Command & CommandBusMaster) != 0;

    public bool MsixEnabled => MsixControl is ushort c && (c & MsixCapability.Enable) != 0;
    public bool MsixFunctionMasked => MsixControl is ushort c && (c & MsixCapability.FunctionMask) != 0;

    private ushort? MsixControl => _capOffsets.TryGetValue(MsixCapability.CapId, out int o)
        ? BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(o + MsixCapability.MessageControl)) : null;

    /// <summary>Offset of a standard capability, or -1 (walks the list as a guest would).</summary>
    public int FindCapability(byte id)
    {
        int pos = _bytes[CapabilitiesPointerOffset];
        for (int guard = 0; pos != 0 && guard < 48; guard++)
        {
            if (_bytes[pos] == id) return pos;
            pos = _bytes[pos + 1];
        }
        return -1;
    }

    public ushort ReadUInt16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(offset, 2));
    public uint ReadUInt32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(offset, 4));

    /// <summary>
    /// REGION_READ/REGION_WRITE on config space. Returns data.Length or -EINVAL (out of range).
    /// <paramref name="flrRequested"/> is set when the write initiated a Function Level Reset.
    /// </summary>
    public int Access(ulong offset, Span<byte> data, bool isWrite, out bool flrRequested)
    {
        flrRequested = false;
        if (offset > (ulong)Size || (ulong)data.Length > (ulong)Size - offset) return -Errno.EINVAL;
        int off = (int)offset;
        if (!isWrite)
        {
            _bytes.AsSpan(off, data.Length).CopyTo(data);
            return data.Length;
        }
        for (int i = 0; i < data.Length; i++)
        {
            byte m = _writeMask[off + i];
            _bytes[off + i] = (byte)((_bytes[off + i] & ~m) | (data[i] & m));
        }
        int end = off + data.Length;
        for (int bar = 0; bar < 6; bar++)
        {
            int o = Bar0Offset + 4 * bar;
            if (o < end && off < o + 4) FixBar(bar);
        }
        if (_romSize != 0 && RomBarOffset < end && off < RomBarOffset + 4)
        {
            uint v = ReadUInt32(RomBarOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(RomBarOffset), (v & ~(uint)(_romSize - 1)) | (v & 1));
        }
        if (_capOffsets.TryGetValue(PcieCapability.CapId, out int px))
        {
            int dc = px + PcieCapability.DeviceControl;
            if (dc < end && off < dc + 2 && (ReadUInt16(dc) & PcieCapability.InitiateFlr) != 0)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(_bytes.AsSpan(dc), (ushort)(ReadUInt16(dc) & ~PcieCapability.InitiateFlr));
                flrRequested = true;
            }
        }
        return data.Length;
    }

    /// <summary>The size of BAR <paramref name="bar"/> (0 = unused).</summary>
    public ulong BarSize(int bar) => (uint)bar < 6 ? _barSizes[bar] : 0;

    /// <summary>The address the guest programmed into BAR <paramref name="bar"/> (type bits stripped).</summary>
    public ulong BarAddress(int bar)
    {
        if ((uint)bar >= 6 || _barSizes[bar] == 0 || _barIsUpperHalf[bar]) return 0;
        ulong lo = ReadUInt32(Bar0Offset + 4 * bar) & ~0xFu;
        if ((_barTypeBits[bar] & 0x4) != 0) lo |= (ulong)ReadUInt32(Bar0Offset + 4 * (bar + 1)) << 32;
        return lo;
    }

    private void DeclareBar(VfioRegion r)
    {
        int bar = r.Index;
        bool mem = (r.Flags & VfioRegionFlags.Mem) != 0;
        bool is64 = (r.Flags & VfioRegionFlags.Bits64) != 0;
        if (!IsPowerOfTwo(r.Size) || r.Size < (mem ? 16UL : 4UL)) throw new ArgumentException($"BAR{bar} size must be a power of two ≥ {(mem ? 16 : 4)}");
        if (!mem && (is64 || r.Size > 256)) throw new ArgumentException($"I/O BAR{bar} must be 32-bit and at most 256 bytes");
        if (is64 && (bar % 2 != 0)) throw new ArgumentException($"64-bit BAR{bar} must have an even index");
        if (!is64 && r.Size > (1UL << 31)) throw new ArgumentException($"32-bit BAR{bar} larger than 2 GiB");
        if (_barIsUpperHalf[bar]) throw new ArgumentException($"BAR{bar} is the upper half of a 64-bit BAR");
        _barSizes[bar] = r.Size;
        _barTypeBits[bar] = mem ? ((is64 ? 0x4u : 0u) | ((r.Flags & VfioRegionFlags.Prefetch) != 0 ? 0x8u : 0u)) : 0x1u;
        SetMask(Bar0Offset + 4 * bar, 4, 0xFFFFFFFF);
        if (is64)
        {
            _barIsUpperHalf[bar + 1] = true;
            _barSizes[bar + 1] = r.Size;
            SetMask(Bar0Offset + 4 * (bar + 1), 4, 0xFFFFFFFF);
        }
        FixBar(bar);
    }

    private void FixBar(int bar)
    {
        ulong size = _barSizes[bar];
        int o = Bar0Offset + 4 * bar;
        if (size == 0) { BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(o), 0); return; }
        uint v = ReadUInt32(o);
        if (_barIsUpperHalf[bar])
        {
            uint highMask = (uint)(~(size - 1) >> 32);
            BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(o), v & highMask);
            return;
        }
        uint typeBits = _barTypeBits[bar];
        uint lowMask = (uint)~(size - 1) & ((typeBits & 1) != 0 ? ~0x3u : ~0xFu);
        BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(o), (v & lowMask) | typeBits);
    }

    private void LayOut(PciCapability cap, int pos)
    {
        Span<byte> c = _bytes.AsSpan(pos, cap.Length);
        switch (cap)
        {
            case PmCapability pm:
                BinaryPrimitives.WriteUInt16LittleEndian(c[2..], 0x0003); // PMC: version 1.2
                BinaryPrimitives.WriteUInt16LittleEndian(c[4..], (ushort)(pm.NoSoftReset ? 0x0008 : 0)); // PMCSR
                SetMask(pos + 4, 2, 0x8103); // PowerState, PME_En, PME_Status (written as plain bits)
                break;
            case MsixCapability msix:
                if (msix.Vectors < 1 || msix.Vectors > 2048) throw new ArgumentException("MSI-X vectors must be 1..2048");
                if (msix.TableBar > 5 || msix.PbaBar > 5 || (msix.TableOffset & 7) != 0 || (msix.PbaOffset & 7) != 0)
                    throw new ArgumentException("MSI-X table/PBA BIR must be 0..5 and offsets 8-byte aligned");
                BinaryPrimitives.WriteUInt16LittleEndian(c[2..], (ushort)(msix.Vectors - 1));
                BinaryPrimitives.WriteUInt32LittleEndian(c[4..], msix.TableOffset | msix.TableBar);
                BinaryPrimitives.WriteUInt32LittleEndian(c[8..], msix.PbaOffset | msix.PbaBar);
                SetMask(pos + MsixCapability.MessageControl, 2, MsixCapability.Enable | MsixCapability.FunctionMask);
                break;
            case PcieCapability px:
                BinaryPrimitives.WriteUInt16LittleEndian(c[2..], 0x0002); // version 2, PCI Express endpoint
                uint devCap = (px.RoleBasedErrorReporting ? 1u << 15 : 0) | (px.FlrCapable ? 1u << 28 : 0);
                BinaryPrimitives.WriteUInt32LittleEndian(c[PcieCapability.DeviceCapabilities..], devCap);
                BinaryPrimitives.WriteUInt16LittleEndian(c[PcieCapability.DeviceControl..], 0x2810 & 0x7FFF); // MRRS 512, relaxed ordering, no-snoop off
                SetMask(pos + PcieCapability.DeviceControl, 2, (ushort)(px.FlrCapable ? 0xFFFF : 0x7FFF));
                BinaryPrimitives.WriteUInt32LittleEndian(c[PcieCapability.DeviceCapabilities2..], 1u << 4); // completion timeout disable supported
                SetMask(pos + PcieCapability.DeviceCapabilities2 + 4, 2, 0x0010); // DevCtl2: completion timeout disable
                break;
            case VendorCapability v:
                v.Body.CopyTo(c[2..]); // read-only: the driver never writes a vendor capability
                break;
            default:
                throw new ArgumentException("unsupported capability " + cap.GetType().Name);
        }
    }

    private void SetMask(int offset, int length, uint mask)
    {
        for (int i = 0; i < length; i++) _writeMask[offset + i] = (byte)(mask >> (8 * i));
    }

    private static bool IsPowerOfTwo(ulong v) => v != 0 && (v & (v - 1)) == 0;
}
