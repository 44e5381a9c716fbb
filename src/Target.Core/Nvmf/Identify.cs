// Identify (NVMe Base 2.0 §5.17; SPDK spdk_nvmf_ctrlr_identify_*): controller data for I/O and
// discovery controllers, namespace data from the backend's geometry, the active NSID list and
// namespace identification descriptors. Pages are built in a stack buffer and copied out.
using System.Numerics;
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;
using Target.Core.Storage;

namespace Target.Core.Nvmf;

internal static class Identify
{
    public const string FirmwareRevision = "24.05";

    public static void Execute(Request request, Controller ctrlr)
    {
        ref readonly var sqe = ref request.Sqe;
        var cns = (IdentifyCns)(sqe.Cdw10 & 0xFF);
        if (request.Length < 4096)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 24);
            return;
        }
        if (ctrlr.IsDiscovery && cns != IdentifyCns.Controller)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 40);
            return;
        }
        Span<byte> page = stackalloc byte[4096];
        page.Clear();
        NvmeStatus status;
        switch (cns)
        {
            case IdentifyCns.Controller:
                FillController(page, ctrlr);
                request.Qpair.Transport.AdjustIdentifyController(ref MemoryMarshal.AsRef<IdentifyController>(page), ctrlr);
                status = NvmeStatus.Success;
                break;
            case IdentifyCns.Namespace:
                status = FillNamespace(page, ctrlr, sqe.Nsid);
                break;
            case IdentifyCns.ActiveNamespaceList:
                status = FillActiveList(page, ctrlr, sqe.Nsid);
                break;
            case IdentifyCns.NamespaceIdDescriptorList:
                status = FillDescriptors(page, ctrlr, sqe.Nsid);
                break;
            case IdentifyCns.IoCommandSetController:
            case IdentifyCns.IoCommandSetNamespace:
                // NVM command set (CSI 0) specific data: zeros mean "no extra limits".
                status = (sqe.Cdw11 >> 24) == 0 ? NvmeStatus.Success : NvmeStatus.InvalidField;
                break;
            case IdentifyCns.IoCommandSet:
                page[0] = 1; // vector 0: NVM command set
                status = NvmeStatus.Success;
                break;
            default:
                status = NvmeStatus.InvalidField;
                break;
        }
        if (!status.IsSuccess)
        {
            CommandDispatcher.Fail(request, status, status == NvmeStatus.InvalidNamespace ? (ushort)4 : (ushort)40);
            return;
        }
        request.CopyToData(page);
        request.DataLength = 4096;
        request.Complete(NvmeStatus.Success);
    }

    public static unsafe void FillController(Span<byte> page, Controller ctrlr)
    {
        ref var id = ref MemoryMarshal.AsRef<IdentifyController>(page);
        var sub = ctrlr.Subsystem;
        var opts = ctrlr.Options;
        var target = sub.Target;
        PutAscii(MemoryMarshal.CreateSpan(ref id.Fr[0], 8), FirmwareRevision, (byte)' ');
        id.Cntlid = ctrlr.Cntlid;
        id.Ver = ctrlr.Vs;
        id.Mdts = Mdts(opts.MaxIoSize);
        id.Kas = opts.EffectiveKas;
        id.Sgls = (1u << 0) | (1u << 2) | (1u << 20);
        id.Msdbd = 1;
        id.Ioccsz = (64 + opts.InCapsuleDataSize) / 16;
        id.Iorcsz = 1;
        id.Aerl = Controller.AsyncEventRequestLimit - 1;
        id.Elpe = Controller.ErrorLogEntries - 1;
        id.Maxcmd = opts.MaxQueueDepth;
        id.Sqes = 0x66;
        id.Cqes = 0x44;
        PutAscii(MemoryMarshal.CreateSpan(ref id.Subnqn[0], 256), sub.Nqn, 0);
        if (ctrlr.IsDiscovery)
        {
            id.Cntrltype = IdentifyController.CntrltypeDiscovery;
            id.Oaes = AsyncEvent.ConfigDiscoveryLogChange;
            id.Lpa = IdentifyController.LpaExtendedData;
            return;
        }
        id.Vid = 0x8086;
        id.Ssvid = 0x8086;
        PutAscii(MemoryMarshal.CreateSpan(ref id.Sn[0], 20), sub.SerialNumber, (byte)' ');
        PutAscii(MemoryMarshal.CreateSpan(ref id.Mn[0], 40), sub.ModelNumber, (byte)' ');
        id.Rab = 6;
        id.Cmic = (byte)(0x3 | (sub.AnaReporting ? 0x8 : 0));
        id.Oaes = AsyncEvent.ConfigNamespaceAttribute | (sub.AnaReporting ? AsyncEvent.ConfigAnaChange : 0);
        id.Ctratt = 1; // HIDS: 128-bit host identifier
        id.Cntrltype = IdentifyController.CntrltypeIo;
        id.Crdt1 = target.Crdt[0];
        id.Crdt2 = target.Crdt[1];
        id.Crdt3 = target.Crdt[2];
        id.Acl = 3;
        id.Frmw = 0x3; // slot 1 read-only, one slot
        id.Lpa = IdentifyController.LpaCommandEffects | IdentifyController.LpaExtendedData;
        id.Wctemp = 0x157;
        id.Cctemp = 0x175;
        id.Nn = sub.MaxNamespaces;
        id.Oncs = IdentifyController.OncsCompare | IdentifyController.OncsDsm | IdentifyController.OncsWriteZeroes;
        id.Fuses = 1;
        id.Vwc = 0x1 | (0x2 << 1); // present; flush to NSID FFFFFFFFh not supported
        if (sub.AnaReporting)
        {
            id.Anatt = 10;
            id.Anacap = 0x7 | 0x40; // optimized, non-optimized, inaccessible; ANAGRPID does not change
            id.Anagrpmax = sub.MaxNamespaces;
            id.Nanagrpid = sub.MaxNamespaces;
            id.Mnan = sub.MaxNamespaces;
        }
    }

    /// <summary>MDTS in units of the 4 KiB minimum page size (log2), never 0 (unlimited).</summary>
    public static byte Mdts(uint maxIoSize)
    {
        uint pages = Math.Max(maxIoSize / 4096, 1);
        return (byte)Math.Max(BitOperations.Log2(pages), 1);
    }

    private static unsafe NvmeStatus FillNamespace(Span<byte> page, Controller ctrlr, uint nsid)
    {
        var sub = ctrlr.Subsystem;
        if (nsid == 0 || nsid > sub.MaxNamespaces) return NvmeStatus.InvalidNamespace;
        var ns = sub.GetNamespace(nsid);
        if (ns is null) return NvmeStatus.Success; // inactive NSID: all zeros
        ref var id = ref MemoryMarshal.AsRef<IdentifyNamespace>(page);
        var b = ns.Backend;
        id.Nsze = id.Ncap = id.Nuse = b.BlockCount;
        id.Nlbaf = 0;
        id.Flbas = 0;
        id.Lbaf0.Lbads = (byte)BitOperations.Log2(b.BlockSize);
        id.Nmic = 1;
        id.Dlfeat = b.Supports(BlockOp.Unmap) ? (byte)0x08 : (byte)0;
        if (sub.AnaReporting) id.Anagrpid = ns.AnaGroupId;
        ns.Nguid.CopyTo(MemoryMarshal.CreateSpan(ref id.Nguid[0], 16));
        ns.Eui64.CopyTo(MemoryMarshal.CreateSpan(ref id.Eui64[0], 8));
        return NvmeStatus.Success;
    }

    private static NvmeStatus FillActiveList(Span<byte> page, Controller ctrlr, uint startNsid)
    {
        if (startNsid >= 0xFFFFFFFE) return NvmeStatus.InvalidNamespace;
        var list = MemoryMarshal.Cast<byte, uint>(page);
        var sub = ctrlr.Subsystem;
        int n = 0;
        for (uint nsid = startNsid + 1; nsid <= sub.MaxNamespaces && n < list.Length; nsid++)
            if (sub.GetNamespace(nsid) is not null) list[n++] = nsid;
        return NvmeStatus.Success;
    }

    private static NvmeStatus FillDescriptors(Span<byte> page, Controller ctrlr, uint nsid)
    {
        var sub = ctrlr.Subsystem;
        if (nsid == 0 || nsid > sub.MaxNamespaces) return NvmeStatus.InvalidNamespace;
        var ns = sub.GetNamespace(nsid);
        if (ns is null) return NvmeStatus.InvalidField;
        int at = 0;
        if (!Namespace.IsZero(ns.Eui64)) at = PutDescriptor(page, at, NamespaceIdDescriptor.TypeEui64, ns.Eui64);
        if (!Namespace.IsZero(ns.Nguid)) at = PutDescriptor(page, at, NamespaceIdDescriptor.TypeNguid, ns.Nguid);
        if (ns.Uuid != Guid.Empty)
        {
            Span<byte> uuid = stackalloc byte[16];
            ns.Uuid.TryWriteBytes(uuid, bigEndian: true, out _);
            at = PutDescriptor(page, at, NamespaceIdDescriptor.TypeUuid, uuid);
        }
        Span<byte> csi = stackalloc byte[1];
        csi[0] = 0; // NVM command set
        PutDescriptor(page, at, NamespaceIdDescriptor.TypeCsi, csi);
        return NvmeStatus.Success;
    }

    private static int PutDescriptor(Span<byte> page, int at, byte type, ReadOnlySpan<byte> value)
    {
        page[at] = type;
        page[at + 1] = (byte)value.Length;
        value.CopyTo(page.Slice(at + NamespaceIdDescriptor.Size));
        return at + NamespaceIdDescriptor.Size + value.Length;
    }

    /// <summary>ASCII into a fixed field, padded with <paramref name="pad"/> (spaces for SN/MN/FR, NULs for NQNs).</summary>
    public static void PutAscii(Span<byte> field, string text, byte pad)
    {
        field.Fill(pad);
        int n = Math.Min(text.Length, field.Length);
        for (int i = 0; i < n; i++) field[i] = (byte)text[i];
    }
}
