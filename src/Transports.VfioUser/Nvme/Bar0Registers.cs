// The NVMe controller registers of BAR0 0x000–0xFFF (NVMe Base 2.0 §3.1.4 "Controller
// Properties", PCIe transport: §3.1.4.1 CAP … §3.1.4.10 ACQ; vfio-user.md §3.3): access-size and
// alignment rules, read-only registers, INTMS/INTMC set/clear semantics and the reserved bits of
// AQA/ASQ/ACQ. CC writes are forwarded to the owner (which runs them through the core's Property
// Set path); CAP/CC/CSTS reads come from the owner so they show the core controller's state.
// Register accesses must be 4 or 8 bytes and naturally aligned; 64-bit registers may be accessed
// as two dwords (Linux lo_hi_writeq). Unknown registers read 0 and ignore writes.
using System.Buffers.Binary;
using Target.Core.Interop;
using Target.VfioUser.Protocol;

namespace Target.Transports.VfioUser.Nvme;

public sealed class Bar0Registers
{
    public const uint RegistersSize = 0x1000;
    public const uint Cap = 0x00, Vs = 0x08, Intms = 0x0C, Intmc = 0x10, Cc = 0x14, Csts = 0x1C, Nssr = 0x20;
    public const uint Aqa = 0x24, Asq = 0x28, Acq = 0x30;
    /// <summary>AQA: ASQS bits 11:0, ACQS bits 27:16.</summary>
    public const uint AqaMask = 0x0FFF0FFF;
    /// <summary>ASQ/ACQ: bits 11:0 reserved (4 KiB aligned base).</summary>
    public const ulong QueueBaseMask = ~0xFFFUL;

    /// <summary>What the registers need from the controller model.</summary>
    public interface IOwner
    {
        ulong Cap { get; }
        uint Cc { get; }
        uint Csts { get; }
        void WriteCc(uint value);
    }

    private readonly IOwner _owner;
    private uint _intms;
    private uint _aqa;
    private ulong _asq;
    private ulong _acq;

    public Bar0Registers(IOwner owner) => _owner = owner;

    public uint Version { get; init; } = Target.Core.Nvme.Spec.ControllerRegisters.Version13;
    public uint InterruptMask => Volatile.Read(ref _intms);
    public uint AdminQueueAttributes => Volatile.Read(ref _aqa);
    public ulong AdminSubmissionQueueBase => Volatile.Read(ref _asq);
    public ulong AdminCompletionQueueBase => Volatile.Read(ref _acq);
    /// <summary>AQA.ASQS + 1.</summary>
    public int AdminSqEntries => (int)(AdminQueueAttributes & 0xFFF) + 1;
    /// <summary>AQA.ACQS + 1.</summary>
    public int AdminCqEntries => (int)((AdminQueueAttributes >> 16) & 0xFFF) + 1;

    /// <summary>Clears AQA/ASQ/ACQ/INTMS (controller-level reset by DEVICE_RESET or FLR).</summary>
    public void Reset()
    {
        Volatile.Write(ref _intms, 0);
        Volatile.Write(ref _aqa, 0);
        Volatile.Write(ref _asq, 0);
        Volatile.Write(ref _acq, 0);
    }

    /// <summary>True for a legal register access shape: 4 or 8 bytes, naturally aligned, inside 0x000–0xFFF.</summary>
    public static bool IsValidAccess(ulong offset, int length) =>
        (length == 4 || length == 8) && offset % (ulong)length == 0 && offset + (ulong)length <= RegistersSize;

    /// <summary>REGION_READ of BAR0 registers. Returns bytes read or a negative errno.</summary>
    public int Read(ulong offset, Span<byte> data)
    {
        if (!IsValidAccess(offset, data.Length)) return -Errno.EINVAL;
        if (data.Length == 8) BinaryPrimitives.WriteUInt64LittleEndian(data, Read64((uint)offset));
        else BinaryPrimitives.WriteUInt32LittleEndian(data, Read32((uint)offset));
        return data.Length;
    }

    /// <summary>REGION_WRITE of BAR0 registers. Returns bytes written or a negative errno.</summary>
    public int Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (!IsValidAccess(offset, data.Length)) return -Errno.EINVAL;
        uint off = (uint)offset;
        if (data.Length == 8)
        {
            ulong v = BinaryPrimitives.ReadUInt64LittleEndian(data);
            Write32(off, (uint)v);
            Write32(off + 4, (uint)(v >> 32));
        }
        else
        {
            Write32(off, BinaryPrimitives.ReadUInt32LittleEndian(data));
        }
        return data.Length;
    }

    private ulong Read64(uint offset) => Read32(offset) | ((ulong)Read32(offset + 4) << 32);

    public uint Read32(uint offset) => offset switch
    {
        Cap => (uint)_owner.Cap,
        Cap + 4 => (uint)(_owner.Cap >> 32),
        Vs => Version,
        Intms or Intmc => InterruptMask,
        Cc => _owner.Cc,
        Csts => _owner.Csts,
        Aqa => AdminQueueAttributes,
        Asq => (uint)AdminSubmissionQueueBase,
        Asq + 4 => (uint)(AdminSubmissionQueueBase >> 32),
        Acq => (uint)AdminCompletionQueueBase,
        Acq + 4 => (uint)(AdminCompletionQueueBase >> 32),
        _ => 0,
    };

    public void Write32(uint offset, uint value)
    {
        switch (offset)
        {
            case Intms: Volatile.Write(ref _intms, InterruptMask | value); break;
            case Intmc: Volatile.Write(ref _intms, InterruptMask & ~value); break;
            case Cc: _owner.WriteCc(value); break;
            case Aqa: Volatile.Write(ref _aqa, value & AqaMask); break;
            case Asq: Volatile.Write(ref _asq, ((_asq & 0xFFFFFFFF00000000UL) | value) & QueueBaseMask); break;
            case Asq + 4: Volatile.Write(ref _asq, (_asq & 0xFFFFFFFFUL) | ((ulong)value << 32)); break;
            case Acq: Volatile.Write(ref _acq, ((_acq & 0xFFFFFFFF00000000UL) | value) & QueueBaseMask); break;
            case Acq + 4: Volatile.Write(ref _acq, (_acq & 0xFFFFFFFFUL) | ((ulong)value << 32)); break;
            default: break; // CAP, VS, CSTS read-only; NSSR unsupported; reserved registers ignore writes
        }
    }
}
